import assert from 'node:assert/strict';

/** A browser: keeps its cookie, reads the token from each form it loads. */
export class Browser {
  cookie = '';
  constructor(private readonly base: string) {}

  async get(path: string): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(`${this.base}${path}`, {
      redirect: 'manual',
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0] ?? '';
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  static tokenOf(body: string): string {
    const match = /name="form_token" value="([^"]+)"/.exec(body);
    assert.ok(match, 'the page has a form token');
    return match[1] ?? '';
  }

  async post(
    path: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string; headers: Headers }> {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: form.toString(),
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  /** Loads the form at `path`, then sends it with `fields`. */
  async fill(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const page = await this.get(path);
    assert.equal(page.status, 200, `the form at ${path} opens`);
    return this.post(path, { form_token: Browser.tokenOf(page.body), ...fields }, headers);
  }
}
