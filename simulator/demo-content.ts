/**
 * Text the generated Dify app answers with: a customer-support / internal-knowledge bot.
 * Strings are shared by reference across generated runs, which keeps 100k-run stores small.
 * Some entries deliberately carry commas, quotes, CRLF and newlines, because those are what
 * break CSV writers and Markdown tables downstream.
 */

export type Topic = 'refund' | 'invoice' | 'account' | 'shipping' | 'api' | 'it' | 'hr' | 'security';

export interface QuestionEntry {
  lang: 'zh' | 'en';
  topic: Topic;
  question: string;
  answer: string;
}

export interface DatasetEntry {
  /** As Dify shows it in retrieval metadata: long names arrive cut short with "...". */
  name: string;
}

export interface SegmentEntry {
  dataset: number;
  topic: Topic;
  documentName: string;
  content: string;
}

export const DATASETS: readonly DatasetEntry[] = [
  { name: '售后服务政策与退换货流程（2025版，适用于线上及线下门店...' },
  { name: 'Product FAQ' },
  { name: 'IT Helpdesk & Internal Policies - Engineering Onboarding, Acc...' },
  { name: '发票与财务报销' },
  { name: 'HR 员工手册' },
];

export const SEGMENTS: readonly SegmentEntry[] = [
  { dataset: 0, topic: 'refund', documentName: '退换货政策.pdf', content: '自签收之日起7天内，商品未使用且包装完好的，可申请无理由退货。\r\n退款将在仓库验收后1-3个工作日内原路退回。' },
  { dataset: 0, topic: 'refund', documentName: '退换货政策.pdf', content: '定制类商品、已激活的软件授权及虚拟商品不支持无理由退货；质量问题除外，需提供照片或检测报告。' },
  { dataset: 0, topic: 'shipping', documentName: '物流与配送说明.docx', content: '标准配送：下单后48小时内发货，江浙沪次日达，其他地区2-4天送达。\r\n偏远地区（新疆、西藏）另加收运费15元。' },
  { dataset: 0, topic: 'shipping', documentName: '物流与配送说明.docx', content: '如包裹显示"已签收"但本人未收到，请在48小时内联系客服，我们将向承运商发起查件。' },
  { dataset: 1, topic: 'refund', documentName: 'returns-and-refunds.md', content: 'Refunds are issued to the original payment method within 5-10 business days after the returned item is inspected. Store credit is available instantly.' },
  { dataset: 1, topic: 'account', documentName: 'account-faq.md', content: 'To reset your password, open Settings > Security > "Reset password". A reset link valid for 30 minutes is sent to your verified e-mail address.' },
  { dataset: 1, topic: 'account', documentName: 'account-faq.md', content: 'Saved filters, dashboards and API keys are kept when you reset your password. Active sessions on other devices are signed out.' },
  { dataset: 1, topic: 'shipping', documentName: 'shipping.md', content: 'International orders ship with DHL Express. Duties and taxes are calculated at checkout for the EU, UK, Japan and Singapore; other destinations pay on delivery.' },
  { dataset: 1, topic: 'api', documentName: 'api-rate-limits.md', content: 'The public API allows 60 requests per minute per key, with bursts of up to 120.\nResponses include X-RateLimit-Remaining and Retry-After headers.' },
  { dataset: 1, topic: 'api', documentName: 'webhooks.md', content: 'Webhooks are retried up to 8 times with exponential backoff (1 min to 4 h). A delivery counts as successful on any 2xx status within 10 seconds.' },
  { dataset: 2, topic: 'it', documentName: 'VPN Setup Guide v3.pdf', content: 'Install the corporate VPN client from the Self Service portal, then sign in with your SSO account. Split tunnelling is disabled for production networks.' },
  { dataset: 2, topic: 'it', documentName: 'Laptop Policy.docx', content: 'Laptops are refreshed every 36 months. Lost devices must be reported within 24 hours so they can be remotely wiped.' },
  { dataset: 2, topic: 'security', documentName: 'Access Requests.md', content: 'Production database access requires a ticket approved by your manager and the data owner. Access expires automatically after 14 days.' },
  { dataset: 2, topic: 'security', documentName: 'Password & MFA Policy.md', content: 'Passwords must be at least 14 characters. MFA with a hardware key or authenticator app is mandatory for all staff; SMS codes are not accepted.' },
  { dataset: 3, topic: 'invoice', documentName: '电子发票开具说明.pdf', content: '电子发票在订单完成后24小时内开具，可在"我的订单-发票管理"中下载。\r\n如需修改抬头，请在开票后30天内申请红冲重开。' },
  { dataset: 3, topic: 'invoice', documentName: '差旅报销制度2025.docx', content: '差旅报销需在出差结束后15个工作日内提交，附行程单、酒店水单及发票。\r\n一线城市住宿标准：经理级以下每晚不超过600元。' },
  { dataset: 3, topic: 'invoice', documentName: '增值税专票FAQ.md', content: '开具增值税专用发票需提供：公司名称、纳税人识别号、地址电话、开户行及账号。专票一经开具不可作废，只能红冲。' },
  { dataset: 4, topic: 'hr', documentName: '员工手册-假期.pdf', content: '年假按司龄计算：满1年5天，满10年10天，满20年15天。\r\n病假需提供二级及以上医院证明，每年前5天全薪。' },
  { dataset: 4, topic: 'hr', documentName: '员工手册-福利.pdf', content: '公司为员工缴纳六险一金，补充医疗保险覆盖直系亲属。每年提供一次免费体检，可在入职满3个月后预约。' },
  { dataset: 4, topic: 'hr', documentName: 'Remote Work Policy (EN).pdf', content: 'Employees may work remotely up to 2 days per week with manager approval. Core collaboration hours are 10:00-16:00 local time.' },
];

export const QUESTIONS: readonly QuestionEntry[] = [
  { lang: 'zh', topic: 'refund', question: '买的耳机不想要了，还能退吗？', answer: '可以的。自签收之日起7天内，商品未使用且包装完好即可申请无理由退货，退款会在仓库验收后1-3个工作日内原路退回。' },
  { lang: 'zh', topic: 'refund', question: '退款申请提交三天了，为什么还没到账？', answer: '退款需要仓库先验收退回的商品，验收后1-3个工作日原路退回。如果已超过这个时间，请提供订单号，我们帮您加急处理。' },
  { lang: 'zh', topic: 'refund', question: '定制的刻字钢笔有划痕，可以退换吗？', answer: '定制类商品通常不支持无理由退货，但质量问题除外。请拍摄划痕照片上传，审核通过后为您免费换新。' },
  { lang: 'zh', topic: 'shipping', question: '我在乌鲁木齐，下单后多久能到？运费怎么算', answer: '下单后48小时内发货，新疆地区一般3-4天送达。偏远地区需另加收运费15元。' },
  { lang: 'zh', topic: 'shipping', question: '物流显示"已签收"，但我根本没收到包裹！', answer: '非常抱歉给您带来困扰。请在签收后48小时内联系我们，我们会立即向承运商发起查件，核实后为您补发或退款。' },
  { lang: 'zh', topic: 'invoice', question: '发票抬头写错了，怎么重新开？\n订单号：SO-20250301-8812', answer: '电子发票开具后30天内可以申请红冲重开。请在"我的订单-发票管理"中选择该订单，点击"申请重开"并填写正确抬头即可。' },
  { lang: 'zh', topic: 'invoice', question: '公司要开增值税专票，需要提供哪些信息？', answer: '需要提供：公司名称、纳税人识别号、地址电话、开户行及账号。请注意专票一经开具不可作废，只能红冲。' },
  { lang: 'zh', topic: 'invoice', question: '出差回来多久内要提交报销？酒店标准是多少', answer: '差旅报销需在出差结束后15个工作日内提交，附行程单、酒店水单及发票。一线城市经理级以下住宿标准为每晚不超过600元。' },
  { lang: 'zh', topic: 'hr', question: '我入职第3年，今年有几天年假？', answer: '根据员工手册，司龄满1年不满10年的员工每年有5天年假。' },
  { lang: 'zh', topic: 'hr', question: '病假需要什么证明？工资怎么扣', answer: '病假需提供二级及以上医院出具的证明。每年前5天病假为全薪，超出部分按公司病假工资标准计发。' },
  { lang: 'zh', topic: 'hr', question: '体检怎么预约？家属可以一起吗', answer: '入职满3个月后可预约每年一次的免费体检。补充医疗保险覆盖直系亲属，但免费体检仅限员工本人。' },
  { lang: 'zh', topic: 'account', question: '忘记密码了，重置后之前保存的筛选条件还在吗？', answer: '在的。重置密码不会影响已保存的筛选条件、看板和 API Key，但其他设备上的登录会被退出。' },
  { lang: 'zh', topic: 'api', question: 'API 调用返回 429 是什么意思，怎么处理？', answer: '429 表示超出了频率限制：每个 Key 每分钟60次，突发最多120次。请根据响应头 Retry-After 等待后重试。' },
  { lang: 'zh', topic: 'it', question: 'VPN 连不上，提示"证书无效"，怎么办？', answer: '请先在自助服务门户重新安装最新版 VPN 客户端，再使用 SSO 账号登录。如仍报证书无效，请联系 IT 服务台并附上截图。' },
  { lang: 'zh', topic: 'security', question: '申请生产数据库只读权限要走什么流程？', answer: '需要提交工单，经直属主管和数据负责人审批。权限会在14天后自动过期，到期需重新申请。' },
  { lang: 'zh', topic: 'it', question: '笔记本丢了怎么办', answer: '请在24小时内报告 IT 服务台，我们会远程擦除设备数据，并为您办理备用机。' },
  { lang: 'zh', topic: 'refund', question: '用优惠券买的东西退货，优惠券会退回吗？', answer: '整单退货时，未过期的优惠券会退回您的账户；部分退货时，优惠金额按比例分摊扣除。' },
  { lang: 'zh', topic: 'shipping', question: '可以修改收货地址吗？已经付款了', answer: '订单发货前可以在"我的订单"里修改收货地址；已发货的订单请联系客服，我们尝试联系承运商改派。' },
  { lang: 'zh', topic: 'security', question: '公司要求的密码规则是什么？短信验证码算 MFA 吗', answer: '密码至少14位。所有员工必须使用硬件密钥或身份验证器 App 进行 MFA，短信验证码不被接受。' },
  { lang: 'zh', topic: 'hr', question: '远程办公每周最多几天？', answer: '经主管批准，每周最多可远程办公2天。核心协作时间为当地时间10:00-16:00。' },
  { lang: 'en', topic: 'refund', question: 'How long does a refund take to reach my credit card?', answer: 'Refunds go back to the original payment method within 5-10 business days after we inspect the returned item. If you prefer, store credit is available instantly.' },
  { lang: 'en', topic: 'account', question: 'How do I reset my password, and will my "saved filters" be kept?', answer: 'Go to Settings > Security > "Reset password"; the link is valid for 30 minutes. Your saved filters, dashboards and API keys are kept, but other devices are signed out.' },
  { lang: 'en', topic: 'account', question: 'I never received the password reset e-mail.', answer: 'The reset link is sent to your verified e-mail address only. Please check your spam folder, and make sure the address under Settings > Profile is correct.' },
  { lang: 'en', topic: 'shipping', question: 'Do I have to pay customs fees for an order to Germany?', answer: 'No extra fees on delivery: for the EU, duties and taxes are calculated and paid at checkout. Your order ships with DHL Express.' },
  { lang: 'en', topic: 'shipping', question: 'Can you ship to Brazil, and who pays the import tax?', answer: 'Yes, we ship to Brazil with DHL Express. For destinations outside the EU, UK, Japan and Singapore, duties and taxes are paid on delivery.' },
  { lang: 'en', topic: 'api', question: 'What is the API rate limit? We keep getting 429s from our integration.', answer: 'Each key may send 60 requests per minute, with bursts of up to 120. Read the Retry-After header on a 429 and back off; X-RateLimit-Remaining tells you how close you are.' },
  { lang: 'en', topic: 'api', question: 'How many times are webhooks retried, and what counts as "delivered"?', answer: 'Up to 8 retries with exponential backoff from 1 minute to 4 hours. Any 2xx response within 10 seconds counts as delivered.' },
  { lang: 'en', topic: 'api', question: 'Our webhook endpoint was down for 2 hours, did we lose events?', answer: 'Probably not: failed deliveries are retried up to 8 times over roughly 4 hours, so events from a 2-hour outage should still arrive.' },
  { lang: 'en', topic: 'it', question: 'How do I set up the VPN on a new MacBook?', answer: 'Install the VPN client from the Self Service portal and sign in with your SSO account. Note that split tunnelling is disabled for production networks.' },
  { lang: 'en', topic: 'it', question: 'When is my laptop due for a refresh?', answer: 'Laptops are refreshed every 36 months. The IT Helpdesk can tell you the exact date for your device.' },
  { lang: 'en', topic: 'security', question: 'I need read access to the prod database for an incident, what\'s the fastest way?', answer: 'Open an access ticket; it needs approval from your manager and the data owner. Access expires automatically after 14 days.' },
  { lang: 'en', topic: 'security', question: 'Is SMS ok as a second factor, or do I need a YubiKey?', answer: 'SMS codes are not accepted. Use a hardware key such as a YubiKey or an authenticator app.' },
  { lang: 'en', topic: 'hr', question: 'How many remote days per week am I allowed?', answer: 'Up to 2 days per week with your manager\'s approval. Please be available during core hours, 10:00-16:00 local time.' },
  { lang: 'en', topic: 'hr', question: 'Hi,\nI joined 11 years ago. How many vacation days do I get this year?', answer: 'With more than 10 years of service you are entitled to 10 days of annual leave.' },
  { lang: 'en', topic: 'refund', question: 'The parcel arrived damaged, can I get a replacement instead of a refund?', answer: 'Yes. Please upload photos of the damage; once approved we ship a replacement free of charge, or refund you if you prefer.' },
  { lang: 'en', topic: 'invoice', question: 'Where can I download the invoice for order #A-55120?', answer: 'Invoices are available under My Orders > Invoices about 24 hours after the order completes.' },
  { lang: 'en', topic: 'invoice', question: 'Can you change the company name on an invoice that was already issued?', answer: 'Yes, within 30 days of issue we can cancel the invoice with a credit note and re-issue it with the corrected company name.' },
  { lang: 'en', topic: 'account', question: 'How do I add a teammate to our workspace, and can they see my API keys?', answer: 'Invite them under Settings > Members. Members never see other people\'s API keys; only workspace owners can manage shared keys.' },
  { lang: 'en', topic: 'shipping', question: 'My tracking number says "label created" for 3 days. Is it lost?', answer: 'Sorry about the delay. Orders normally ship within 48 hours; send us the order number and we will check with the warehouse today.' },
  { lang: 'en', topic: 'hr', question: 'Does the health insurance cover my kids, too?', answer: 'Yes, the supplementary medical insurance covers your direct family members, including children.' },
];

/** Attachments users upload with a question (`sys.files`). */
export const ATTACHMENTS: readonly { filename: string; extension: string; mimeType: string; type: 'document' | 'image' }[] = [
  { filename: '订单截图.png', extension: '.png', mimeType: 'image/png', type: 'image' },
  { filename: 'invoice_A-55120.pdf', extension: '.pdf', mimeType: 'application/pdf', type: 'document' },
  { filename: '报销单-2025-03.xlsx', extension: '.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', type: 'document' },
  { filename: 'damaged parcel, front.jpg', extension: '.jpg', mimeType: 'image/jpeg', type: 'image' },
  { filename: 'vpn-error.log', extension: '.log', mimeType: 'text/plain', type: 'document' },
  { filename: '体检报告.pdf', extension: '.pdf', mimeType: 'application/pdf', type: 'document' },
];

export const SYSTEM_PROMPT =
  'You are the support assistant of Acme. Answer only from the retrieved context below; if the context does not cover the question, say so and offer to open a ticket. Reply in the language of the question.\n\n<context>\n{{#context#}}\n</context>';
