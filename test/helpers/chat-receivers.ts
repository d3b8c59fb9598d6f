import { createHmac } from 'node:crypto';
import { startReceiver, type ReceivedRequest, type Reply, type TestReceiver } from './dingtalk-receiver';

/**
 * Local HTTP endpoints playing a Feishu/Lark custom bot and a WeCom group robot. Like the
 * services, they check what they can before accepting: Feishu the signature (timestamp within
 * an hour, HMAC keyed by `timestamp\nsecret`) and the card's shape, WeCom the robot key and
 * the markdown size. A refusal answers with the service's own error code.
 */

export interface CheckingReceiver extends TestReceiver {
  /** Requests that passed the checks, in order. */
  accepted: ReceivedRequest[];
}

/** Feishu's scheme: HMAC-SHA256 keyed by `timestamp\nsecret` over an empty message, Base64. */
export function expectedFeishuSign(timestamp: string, secret: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}

function feishuVerdict(request: ReceivedRequest, token: string, secret: string | undefined): Reply {
  if (!request.url.pathname.endsWith(`/open-apis/bot/v2/hook/${token}`)) return { status: 200, body: { code: 19001, msg: 'param invalid: incoming webhook access token invalid' } };
  const body = request.json as { timestamp?: string; sign?: string; msg_type?: string; card?: { header?: { title?: { content?: string } }; elements?: { tag?: string; content?: string }[] } } | null;
  if (!body) return { status: 400, body: { code: 9499, msg: 'Bad Request' } };
  if (secret !== undefined) {
    const age = Math.abs(Date.now() / 1000 - Number(body.timestamp));
    if (!body.timestamp || !(age < 3600) || body.sign !== expectedFeishuSign(body.timestamp, secret)) {
      return { status: 200, body: { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' } };
    }
  }
  const content = body.card?.elements?.[0]?.content;
  if (body.msg_type !== 'interactive' || typeof body.card?.header?.title?.content !== 'string' || typeof content !== 'string') {
    return { status: 200, body: { code: 9499, msg: 'Bad Request' } };
  }
  if (Buffer.byteLength(request.body) > 20 * 1024) return { status: 200, body: { code: 9499, msg: 'request body too large' } };
  return { status: 200, body: { code: 0, msg: 'success', data: {} } };
}

function wecomVerdict(request: ReceivedRequest, key: string): Reply {
  if (request.url.pathname !== '/cgi-bin/webhook/send' || request.url.searchParams.get('key') !== key) {
    return { status: 200, body: { errcode: 93000, errmsg: 'invalid webhook url' } };
  }
  const body = request.json as { msgtype?: string; markdown?: { content?: string } } | null;
  if (body?.msgtype !== 'markdown' || typeof body.markdown?.content !== 'string') return { status: 200, body: { errcode: 40008, errmsg: 'invalid message type' } };
  if (Buffer.byteLength(body.markdown.content) > 4096) return { status: 200, body: { errcode: 40058, errmsg: 'markdown.content exceed max length 4096' } };
  return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
}

async function checking(verdict: (request: ReceivedRequest) => Reply): Promise<CheckingReceiver> {
  const accepted: ReceivedRequest[] = [];
  const receiver = await startReceiver({ status: 200, body: {} }, (request) => {
    const reply = verdict(request);
    const body = reply.body as { code?: number; errcode?: number };
    if (reply.status === 200 && (body.code ?? body.errcode) === 0) accepted.push(request);
    return reply;
  });
  return Object.assign(receiver, { accepted });
}

export function startFeishuBot(token: string, secret?: string): Promise<CheckingReceiver> {
  return checking((request) => feishuVerdict(request, token, secret));
}

export function startWeComRobot(key: string): Promise<CheckingReceiver> {
  return checking((request) => wecomVerdict(request, key));
}
