import type { LocalMailbox, Mail } from '../services/mail';
import type { MailTransport, SendOutcome } from './notify';
import { fillTemplate, templateOf } from './templates';

/**
 * Without a GC Notify key nothing leaves the machine: each e-mail is filled from its template as Notify
 * would and kept in the local mailbox, which the loopback-only mailbox page shows.
 */
export class LocalMailTransport implements MailTransport {
  constructor(
    private readonly mailbox: LocalMailbox,
    private readonly now: () => Date,
  ) {}

  async send(mail: Mail): Promise<SendOutcome> {
    const { subject, body } = fillTemplate(templateOf(mail.kind, mail.locale), mail.personalisation);
    await this.mailbox.deliverLocally({
      id: mail.id,
      kind: mail.kind,
      locale: mail.locale,
      to: mail.to,
      subject,
      body,
      deliveredAt: this.now().toISOString(),
    });
    return { ok: true, providerId: `local:${mail.id}` };
  }
}
