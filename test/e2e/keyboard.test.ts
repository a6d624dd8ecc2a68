import { strict as assert } from 'node:assert';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { type Locale, t } from '../../src/i18n';
import {
  FIELDS,
  type FieldName,
  fieldsFromContent,
  fieldsOf,
  FORM_STEPS,
  type IntakeFields,
  type Step,
  toContent,
} from '../../src/services/intake';
import { content } from '../support/opportunities';
import {
  inDays,
  readFromSqlite,
  SHOTS,
  openClient,
  type OpenClient,
  COMPOSE,
} from '../support/playground-client';

/**
 * A person who cannot use a mouse requests work in the local Teams client: once the page is open, every
 * move is a key press (Tab and Shift+Tab between controls, typing, Space on a toggle, Enter on a button),
 * never a click or a value set from the outside. Focus is moved to a control by its name, as a screen
 * reader user would hear it, so the test follows the form as it changes rather than counting key presses.
 */

const LOCALE: Locale = 'en';
/** Far more key presses than any card of ours needs between two controls: beyond, focus is lost. */
const MAX_PRESSES = 80;

/** The control that has the keyboard focus, as the test reads it. */
interface Focused {
  readonly name: string;
  readonly tag: string;
  /** Inside the intake card, the latest card that carries the intake's heading. */
  readonly inForm: boolean;
  readonly compose: boolean;
  readonly value: string;
  readonly checked: boolean;
}

interface PageQuery {
  readonly heading: string;
  readonly compose: string;
  /** With a name: also whether the form's control of that name comes after the focus (which way to Tab). */
  readonly name?: string;
}

/**
 * What has the keyboard focus, read (never changed) from the page. A control's name is the one assistive
 * technology gives our cards' controls: the elements its aria-labelledby points to, its aria-label, or its
 * label element (a required field's " *" left out). The form is the latest card with the intake's heading.
 * Runs in the page, so without named inner functions: the test's compiler wraps those in a helper the page
 * lacks.
 */
function readFocus(q: PageQuery): Focused & { ahead: boolean } {
  const form = Array.from(document.querySelectorAll('.ac-adaptiveCard'))
    .filter((card) => (card.textContent ?? '').includes(q.heading))
    .pop();
  const active = document.activeElement ?? document.body;
  const controls = form ? Array.from(form.querySelectorAll('input, textarea, select, button')) : [];
  const [name = '', ...names] = [active, ...controls].map((e) =>
    (
      (e.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .map((id) => (id ? (document.getElementById(id)?.textContent ?? '') : ''))
        .join(' ')
        .trim() ||
      e.getAttribute('aria-label') ||
      (e as HTMLInputElement).labels?.[0]?.textContent ||
      e.textContent ||
      ''
    )
      .replace(/\s+/g, ' ')
      .replace(/\s*\*$/, '')
      .trim(),
  );
  const target = q.name === undefined ? undefined : controls[names.indexOf(q.name)];
  return {
    name,
    tag: active.tagName.toLowerCase(),
    inForm: form !== undefined && active.closest('.ac-adaptiveCard') === form,
    compose: active.matches(q.compose),
    value: (active as HTMLInputElement).value ?? '',
    checked: (active as HTMLInputElement).checked === true,
    ahead:
      active === document.body ||
      (target !== undefined &&
        (active.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0),
  };
}

class Keyboard {
  constructor(
    private readonly page: Page,
    private readonly heading: string,
  ) {}

  focused(name?: string): Promise<Focused & { ahead: boolean }> {
    return this.page.evaluate(readFocus, {
      heading: this.heading,
      compose: COMPOSE,
      ...(name === undefined ? {} : { name }),
    });
  }

  /** Tabs (or Shift+Tabs, whichever way it lies) until the intake card's control named `name` has focus. */
  async moveTo(name: string): Promise<Focused> {
    const key = (await this.focused(name)).ahead ? 'Tab' : 'Shift+Tab';
    const trail: string[] = [];
    for (let i = 0; i <= MAX_PRESSES; i++) {
      const now = await this.focused();
      if (now.inForm && now.name === name) return now;
      trail.push(`${now.tag} “${now.name.slice(0, 40)}”`);
      await this.page.keyboard.press(key);
    }
    throw new Error(
      `${MAX_PRESSES} presses of ${key} never reached “${name}”; focus went:\n${trail.join('\n')}`,
    );
  }

  /** Tabs from wherever the page starts to the box where a message is typed. */
  async toCompose(): Promise<void> {
    for (let i = 0; i <= MAX_PRESSES; i++) {
      if ((await this.focused()).compose) return;
      await this.page.keyboard.press('Tab');
    }
    throw new Error('Tab never reached the message box');
  }

  /** Replaces what a text box holds with `value`, as typed. */
  async typeOver(value: string): Promise<void> {
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.type(value);
  }
}

describe('in the local Teams client, with the keyboard alone', function () {
  this.timeout(180_000);
  let client: OpenClient;
  let page: Page;

  before(async () => {
    // Tall enough for the whole confirmation card, so the screenshot shows every line.
    client = await openClient('keyboard', { viewport: { width: 1280, height: 2000 }, locale: 'en-US' });
    page = client.page;
    await page
      .locator('.ac-adaptiveCard', { hasText: t(LOCALE, 'welcome.title') })
      .first()
      .waitFor();
  });

  after(async () => {
    await client?.close();
  });

  it('completes a whole intake with Tab, Shift+Tab, typing, Space on the attestations and Enter on the buttons', async () => {
    const typed: IntakeFields = {
      ...fieldsFromContent(content()),
      applicationDeadline: inDays(14),
      supplierSelectionDate: inDays(16),
      deliveryDate: inDays(70),
    };
    const label = (f: FieldName) => t(LOCALE, `intake.fields.${f}.label`);
    const stepTitle = (n: number, step: Step) =>
      t(LOCALE, 'intake.progress', { n, total: 5, step: t(LOCALE, `intake.steps.${step}`) });
    const keys = new Keyboard(page, t(LOCALE, 'intake.heading'));
    const form = () => page.locator('.ac-adaptiveCard', { hasText: t(LOCALE, 'intake.heading') }).last();
    const waitFor = (text: string) =>
      form().getByText(text, { exact: true }).first().waitFor({ timeout: 30_000 });
    const press = async (button: Parameters<typeof t>[1], then: string) => {
      await keys.moveTo(t(LOCALE, button));
      await page.keyboard.press('Enter');
      try {
        await waitFor(then);
      } catch (err) {
        // What the form says instead (a problem to fix, a field left empty) is on the picture.
        await page.screenshot({ path: path.join(SHOTS, 'intake-keyboard-stuck.png') });
        throw err;
      }
    };

    await keys.toCompose();
    await page.keyboard.type('new');
    await page.keyboard.press('Enter');
    await waitFor(stepTitle(1, 'basics'));

    for (const [i, step] of FORM_STEPS.entries()) {
      for (const field of fieldsOf(step)) {
        const value = typed[field];
        if (value === undefined) continue;
        const focused = await keys.moveTo(label(field));
        const kind = FIELDS[field].kind;
        if (kind === 'toggle') {
          if (focused.checked !== (value === 'true')) await page.keyboard.press('Space');
          assert.equal((await keys.focused()).checked, value === 'true', `${field} is toggled by Space`);
        } else if (kind === 'choice') {
          // The client's list box: a choice it already shows (the licence's default) is left as it is.
          if (!focused.value.includes(value)) await keys.typeOver(value);
        } else {
          // Dates too: the client's date box (Fluent UI's date picker) reads a typed date when left.
          await keys.typeOver(value);
        }
      }
      const last = i === FORM_STEPS.length - 1;
      await press(
        last ? 'intake.buttons.review' : 'intake.buttons.next',
        stepTitle(i + 2, FORM_STEPS[i + 1] ?? 'review'),
      );
    }
    await press('intake.buttons.submit', t(LOCALE, 'intake.submitted.nextStepsHeading'));

    const confirmation = await form().innerText();
    const reference = /MA-\d{4}-\d{4}/.exec(confirmation)?.[0];
    assert.ok(reference, confirmation);
    await page.screenshot({ path: path.join(SHOTS, 'intake-keyboard.png') });
    const record = await readFromSqlite(client.playground.dataDir, reference);
    assert.ok(record, `${reference} is not in the store`);
    const expected = toContent(typed, inDays(0));
    assert.ok(expected);
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      assert.deepEqual(record[key], expected[key], key);
    }
    assert.equal(record.status, 'submitted');
    assert.equal(record.requester.name, client.playground.user.name);
  });
});
