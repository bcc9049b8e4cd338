/**
 * From an Email object to the message nodemailer sends.
 *
 * The Message-ID is a pure function of metadata.uid: every send of the same
 * Email (a retry, a replay, the re-send after a crash) carries the same id,
 * so the recipient's mail system and the demo's fault tests can recognise a
 * duplicate. A new Email (even with the same name) has a new UID, so a new id.
 */
import type { SendMailOptions } from 'nodemailer';
import type { EmailObject } from '../email-resource.js';

export const MESSAGE_ID_DOMAIN = 'cnpaas.local';

export function messageIdFor(uid: string): string {
  return `<${uid}@${MESSAGE_ID_DOMAIN}>`;
}

/**
 * Whether the body goes out as HTML: only when the Email's spec.format says
 * html. The operator decides that once, from the EmailTemplate, and escapes
 * every value it puts into an HTML body; guessing here from the body's first
 * character would let a registrant's name that starts with '<' turn a plain
 * text mail into unescaped HTML.
 */
export function isHtmlEmail(email: Pick<EmailObject, 'spec'>): boolean {
  return email.spec.format === 'html';
}

export function buildMessage(email: EmailObject): SendMailOptions {
  const { spec, metadata } = email;
  const body = spec.body ?? '';
  return {
    from: { name: spec.fromName, address: spec.fromAddress },
    to: spec.toAddress,
    subject: spec.subject,
    messageId: messageIdFor(metadata.uid),
    ...(isHtmlEmail(email) ? { html: body } : { text: body }),
    // Which object this mail came from, for `cnpaas mail` and for people reading headers.
    headers: { 'X-Cnpaas-Email': `${metadata.namespace}/${metadata.name}` },
    // nodemailer would otherwise read local files or URLs named in attachments/bodies; an Email has none.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
