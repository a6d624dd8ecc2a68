/**
 * npm run package — builds appPackage/build/microacq.zip for upload to Microsoft Teams.
 *
 * The bot id comes from MICROSOFT_APP_ID. Without it, an all-zero id is used so the
 * package can still be validated locally; such a package cannot be installed.
 */
import path from 'node:path';
import { AppPackageError, buildAppPackage, placeholderValuesFromEnv } from './app-package';

async function main(): Promise<void> {
  const { values, warnings } = placeholderValuesFromEnv(process.env);
  for (const warning of warnings) console.warn(`Warning: ${warning}`);
  const { outFile, entries } = await buildAppPackage({ values });
  console.log(`Wrote ${path.relative(process.cwd(), outFile)} (${entries.join(', ')})`);
}

main().catch((error: unknown) => {
  if (error instanceof AppPackageError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
