import {
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TeamsActivityHandler,
  type TurnContext,
} from 'botbuilder';
import * as restify from 'restify';
import { parseConfig } from '../src/config';

/**
 * The load benchmark's floor: a bare botbuilder bot on restify, as the Bot Framework samples set one up
 * (stock CloudAdapter, restify's body parser with the bot's size limit), with no store and no workflow. A message gets a text reply through the connector;
 * an Adaptive Card action gets a small card back. Started as a child process by bench/load.ts, on PORT.
 */

const CARD = {
  type: 'AdaptiveCard',
  version: '1.5',
  body: [{ type: 'TextBlock', text: 'Done', wrap: true }],
};

class EchoBot extends TeamsActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(`You said: ${context.activity.text ?? ''}`);
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    _context: TurnContext,
    value: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const card = { ...CARD, body: [...CARD.body, { type: 'TextBlock', text: value.action?.verb ?? '' }] };
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  }
}

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  // Local mode, as the bot runs in the benchmark: no credentials, so no token checks.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new EchoBot();
  const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: config.http.maxBodyBytes, mapParams: false }));
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'ok' });
  });
  await new Promise<void>((resolve) => server.listen(config.http.port, config.http.host, resolve));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

void main();
