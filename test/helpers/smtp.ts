import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server in the test process: nodemailer talks actual SMTP (EHLO, STARTTLS, AUTH,
 * DATA) to it, and every accepted message is kept raw and parsed back with mailparser.
 */

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Whether the session was TLS (implicit or after STARTTLS) when DATA arrived. */
  secure: boolean;
  user?: string;
  raw: Buffer;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  port: number;
  messages: ReceivedMail[];
  authAttempts: { user: string; ok: boolean }[];
  /** From now on, messages are received but not acknowledged (the sender waits for the 250). */
  hold(): void;
  /** Messages waiting for their acknowledgement. */
  readonly heldCount: number;
  /** Refuses the held messages (their senders are gone) and stops holding. */
  dropHeld(): void;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  /** PEM key and certificate: offered through STARTTLS, or used for implicit TLS with `implicitTls`. */
  tls?: { key: string; cert: string };
  implicitTls?: boolean;
  /** Required login; without it the server takes mail from anyone. */
  login?: { user: string; password: string };
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const authAttempts: { user: string; ok: boolean }[] = [];
  let holding = false;
  const held: (() => void)[] = [];
  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    // Without a certificate there is no STARTTLS to offer (smtp-server would use its bundled one).
    hideSTARTTLS: options.tls === undefined,
    authOptional: options.login === undefined,
    disabledCommands: options.login === undefined ? ['AUTH'] : [],
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = auth.username === options.login?.user && auth.password === options.login?.password;
      authAttempts.push({ user: auth.username ?? '', ok });
      if (!ok) {
        callback(new Error('Invalid username or password'));
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (holding) {
          // Not accepted until acknowledged: a message whose sender dies meanwhile was never delivered.
          held.push(() => callback(new Error('message not accepted')));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              secure: session.secure,
              user: typeof session.user === 'string' ? session.user : undefined,
              raw,
              parsed,
            });
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  return {
    port: address.port,
    messages,
    authAttempts,
    hold: () => {
      holding = true;
    },
    get heldCount() {
      return held.length;
    },
    dropHeld: () => {
      holding = false;
      for (const refuse of held.splice(0)) refuse();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Settings that send the report by e-mail, in plain SMTP, to this server. */
export function emailToTestServer(server: Pick<TestSmtpServer, 'port'>, from = 'difyscope@example.com'): Record<string, string> {
  return { NOTIFY_CHANNELS: 'email', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(server.port), SMTP_SECURITY: 'none', SMTP_FROM: from, SMTP_TO: 'ops@example.com' };
}
