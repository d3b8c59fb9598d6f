import { escapeHtml } from '../../reports/escape';
import { linksMarkdown, type ReportLinks } from './message';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { ChannelSettings } from '../../config/load';
import { collectAttachments, type Attachment } from './attachments';
import { chartsAsImages, type InlineImage } from './email-charts';
import { describeError, nonRetryable, retryable, type ChannelError, type Delivery, type NotificationChannel } from './channel';
import type { Notification } from './message';

/**
 * E-mail through SMTP: the report's own report.html as the HTML body and report.md as the
 * plain-text alternative, so the mail is the report rather than a second rendering of it.
 * nodemailer encodes non-ASCII subjects, names and file names (RFC 2047/2231).
 */

export type EmailSettings = NonNullable<ChannelSettings['email']>;

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message: string;
}

function smtpError(error: unknown): SmtpError {
  if (error instanceof Error) {
    const fields = error as Error & Partial<SmtpError>;
    return { code: fields.code, responseCode: fields.responseCode, response: fields.response, command: fields.command, message: describeError(error) };
  }
  return { message: String(error) };
}

/** Sorts SMTP failures into "fix the configuration" (final) and "try again later" (transient). */
export function classifySmtpError(error: unknown, settings: EmailSettings): ChannelError {
  const failure = smtpError(error);
  const where = `SMTP ${settings.host}:${settings.port}`;
  const reply = failure.response ? `: ${failure.response.replace(/\s+/g, ' ').trim()}` : `: ${failure.message}`;
  if (failure.code === 'EAUTH') {
    return nonRetryable(`${where} rejected the login${reply}; check SMTP_USER and SMTP_PASSWORD`, 'NotifyAuthError', error);
  }
  if (failure.code === 'ETLS' || /certificate|CERT_|SELF_SIGNED|wrong version number|SSL routines/i.test(failure.message)) {
    return nonRetryable(
      `${where} TLS failed${reply}; check SMTP_SECURITY (starttls, tls or none) and SMTP_PORT, or set SMTP_TLS_REJECT_UNAUTHORIZED=false for a self-signed certificate`,
      'NotifyConfigError',
      error,
    );
  }
  if (failure.code === 'EENVELOPE') {
    return nonRetryable(`${where} refused the addresses${reply}; check SMTP_FROM, SMTP_TO and SMTP_CC`, 'NotifyConfigError', error);
  }
  // Permanent SMTP replies (5xx) repeat on every attempt: message too large, relaying denied, policy.
  if (failure.responseCode !== undefined && failure.responseCode >= 500) {
    const hint = failure.responseCode === 552 || failure.responseCode === 534 ? '; lower EMAIL_ZIP_ABOVE_BYTES or attach fewer files (EMAIL_ATTACH)' : '; check SMTP_FROM, SMTP_TO and the server policy';
    return nonRetryable(`${where} refused the message${reply}${hint}`, 'NotifyRejected', error);
  }
  return retryable(`${where} could not take the message now${reply}`, 'NotifyUnavailable', undefined, error);
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The report's links (REPORT_LINK_EXPIRY) at the top of the HTML body, where a reader sees them first. */
function withLinks(html: string, links: ReportLinks | undefined): string {
  if (!links || links.files.length === 0) return html;
  const anchors = links.files.map((file) => `<a href="${escapeHtml(file.url)}">${escapeHtml(file.name)}</a>`).join(' · ');
  const block = `<p class="report-links">Report files (links valid until ${escapeHtml(links.expiresAt)}): ${anchors}</p>`;
  const body = /<body[^>]*>/i.exec(html);
  return body ? `${html.slice(0, body.index + body[0].length)}\n${block}${html.slice(body.index + body[0].length)}` : `${block}\n${html}`;
}

interface Body {
  text: string;
  html?: string;
  attachments: Attachment[];
  images: InlineImage[];
  notes: string[];
}

async function bodyOf(notification: Notification, settings: EmailSettings): Promise<Body> {
  const folder = notification.folder;
  if (notification.kind !== 'report' || folder === undefined) return { text: notification.markdown, attachments: [], images: [], notes: [] };
  const page = await readIfPresent(path.join(folder, 'report.html'));
  const charts = page === undefined ? undefined : await chartsAsImages(page, createHash('sha256').update(notification.key).digest('hex').slice(0, 12));
  const markdown = await readIfPresent(path.join(folder, 'report.md'));
  const text = markdown === undefined ? notification.markdown : `${markdown}${linksMarkdown(notification.links)}`;
  const set = await collectAttachments(folder, settings.attach, settings.zipAboveBytes, `${notification.app.key}-${notification.period}.zip`);
  const notes = [
    ...(set.zipped ? [`attachments zipped into ${set.attachments[0]?.filename ?? ''}`] : []),
    ...(set.missing.length > 0 ? [`not attached (not in the report folder): ${set.missing.join(', ')}`] : []),
    ...(charts && charts.images.length > 0 ? [`${charts.images.length} chart${charts.images.length === 1 ? '' : 's'} as PNG`] : []),
    ...(charts && charts.failed > 0 ? [`${charts.failed} chart(s) could not be drawn and were left out`] : []),
  ];
  const html = charts === undefined ? undefined : withLinks(charts.html, notification.links);
  return { text, html, attachments: set.attachments, images: charts?.images ?? [], notes };
}

export function transportOptions(settings: EmailSettings): SMTPTransport.Options {
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    // `starttls` means the upgrade is required: never send credentials or reports in clear text.
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    auth: settings.user ? { user: settings.user, pass: settings.password ?? '' } : undefined,
    // SNI takes host names only; Node warns about (and will ignore) an IP address there.
    tls: { rejectUnauthorized: settings.rejectUnauthorized, ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}) },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    // Message content is ours, but never let a path or URL in it make nodemailer read files or fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export function emailChannel(settings: EmailSettings): NotificationChannel {
  return {
    name: 'email',
    secrets: settings.password ? [settings.password] : [],
    async send(notification: Notification, delivery: Delivery): Promise<string> {
      const body = await bodyOf(notification, settings);
      // Loaded on the first e-mail, so a worker without e-mail never holds it.
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport(transportOptions(settings));
      try {
        const info = await transport.sendMail({
          from: settings.from,
          to: settings.to,
          cc: settings.cc.length > 0 ? settings.cc : undefined,
          subject: notification.subject,
          text: body.text,
          html: body.html,
          attachments: [
            // Inline images by content id: nodemailer puts them in a multipart/related part with the HTML.
            ...body.images.map((image) => ({ filename: image.filename, content: image.content, cid: image.cid, contentType: 'image/png', contentDisposition: 'inline' as const })),
            ...body.attachments.map((attachment) => ({ filename: attachment.filename, content: attachment.content })),
          ],
          messageId: delivery.messageId,
          headers: { 'X-Difyscope-Identity': notification.identity, 'X-Difyscope-Kind': notification.kind },
        });
        // Entries are strings or address objects depending on the transport.
        const rejected = (info.rejected as unknown[]).map((address) => (typeof address === 'string' ? address : ((address as { address?: string }).address ?? '')));
        const parts = [
          `${info.accepted.length} recipient${info.accepted.length === 1 ? '' : 's'} via ${settings.host}:${settings.port}`,
          `Message-ID ${delivery.messageId}`,
          ...body.notes,
          ...(rejected.length > 0 ? [`rejected: ${rejected.join(', ')}`] : []),
        ];
        return parts.join('; ');
      } catch (error) {
        throw classifySmtpError(error, settings);
      } finally {
        transport.close();
      }
    },
  };
}
