import { Context } from '@temporalio/activity';
import type { Collection, DetailCollection, LogCollection, ReportPlan, ReportSummary } from '../common/contracts';
import { findApp, type AppConfig, type Settings } from '../config/load';
import { collectLogPages } from './collect-logs';
import { collectRunDetails } from './collect-details';
import { chatAppMode, collectChatApp } from './chat-app';
import { mergeShardCollections } from './merge-shards';
import { DifyClient } from './dify/client';
import { withFailureMapping } from './failures';
import { countReport } from './metrics';
import { planReport } from './plan';
import { fileModeOf, removeFolder, resolveInside } from './storage';
import { sharedStore } from './store';
import { SharedFolders } from './store/sync';
import { currentActivity, withKeepAlive } from './liveness';
import { earlierFolders, renderReportFolder } from './render';
import { USERS_FILE } from '../reports/user-history';
import { TREND_PERIODS } from '../reports/trend';
import { deliverNotifications, type DeliveryResult } from './notify';

export interface ActivityDependencies {
  settings: Settings;
  /** Overridable so tests can shorten retry delays; production uses the defaults. */
  createDifyClient?: (app: AppConfig, secrets: readonly string[]) => DifyClient;
}

function defaultDifyClient(app: AppConfig, secrets: readonly string[]): DifyClient {
  return new DifyClient({ ...app.dify, secrets: [...secrets] });
}

/**
 * The activities of the report workflow. Inputs and results are app keys, windows, counts
 * and file paths: secrets are resolved here, on the worker, from its own configuration.
 */
export function createActivities({ settings, createDifyClient = defaultDifyClient }: ActivityDependencies) {
  const { outputDir, secrets } = settings;
  /** Every activity heartbeats while it runs and maps its errors to failures Temporal understands. */
  const run = <T>(work: () => Promise<T>): Promise<T> => withFailureMapping(secrets, () => withKeepAlive(work));
  const store = sharedStore(settings);
  const shared = store ? new SharedFolders(store, outputDir, fileModeOf(settings.outputFileMode)) : undefined;
  /** With a shared store: the report's scratch folder pulled before, pushed as it grows and after. */
  const sharing = <T>(plan: ReportPlan, work: () => Promise<T>): Promise<T> => (shared ? shared.around(currentActivity(), plan.workDir, work) : work());

  async function withDify<T>(appKey: string, work: (dify: DifyClient, app: AppConfig) => Promise<T>): Promise<T> {
    const app = findApp(settings, appKey);
    const dify = createDifyClient(app, secrets);
    try {
      return await work(dify, app);
    } finally {
      await dify.close();
    }
  }

  return {
    async planReport(request: unknown): Promise<ReportPlan> {
      return run(async () => planReport(settings, request, Context.current().info.workflowExecution?.workflowId ?? Context.current().info.activityId));
    },

    async collectLogs(plan: ReportPlan): Promise<LogCollection> {
      return run(() => sharing(plan, () => withDify(plan.app, (dify) => collectLogPages(dify, outputDir, plan))));
    },

    async collectDetails(plan: ReportPlan, logs: LogCollection): Promise<DetailCollection> {
      return run(() =>
        sharing(plan, () => withDify(plan.app, (dify, app) => collectRunDetails(dify, outputDir, plan, logs.file, app.dify.concurrency))),
      );
    },

    /** The app's mode when it is a chat app (read through the console), else null: a workflow app. */
    async chatMode(plan: ReportPlan): Promise<string | null> {
      return run(() => withDify(plan.app, (dify) => chatAppMode(dify)));
    },

    /** A chat app's messages of the window, in the same collection shape as workflow runs. */
    async collectChat(plan: ReportPlan, mode: string): Promise<Collection> {
      return run(() => sharing(plan, () => withDify(plan.app, (dify, app) => collectChatApp(dify, app, outputDir, plan, mode))));
    },

    /** The shards of a large window joined into one collection, as if collected whole. */
    async mergeShards(plan: ReportPlan, shards: Collection[]): Promise<Collection> {
      return run(() => sharing(plan, () => mergeShardCollections(outputDir, plan, shards)));
    },

    async renderReports(plan: ReportPlan, logs: LogCollection, details: DetailCollection, generatedAt: string): Promise<ReportSummary> {
      return run(async () => {
        if (shared) {
          await shared.pull(plan.workDir);
          // The earlier periods this one compares with, wherever they were rendered.
          await shared.fetchLatestPublished(`${plan.app}/${plan.window.kind}`, plan.window.label, TREND_PERIODS * 4, ['report.json', USERS_FILE]);
          for (const folder of earlierFolders(plan)) await shared.fetchPublished(folder, [USERS_FILE]);
        }
        const summary = await renderReportFolder(outputDir, findApp(settings, plan.app), plan, logs, details, generatedAt, { redactionKey: settings.redactionKey, folderMode: settings.outputFileMode });
        // generatedAt is the workflow's start time, so this is the report's whole duration.
        countReport(summary, generatedAt);
        if (!shared || !store) return summary;
        await shared.push(`.raw/${plan.folder}`);
        await shared.publish(plan.folder);
        // Where the report is for everyone, not this worker's local copy.
        return { ...summary, folder: store.location(plan.folder) };
      });
    },

    /**
     * The report's notifications, once per channel. Scheduled reports notify when the app's
     * NOTIFY_ON lists their kind; ad-hoc ranges only when asked (`--notify`).
     */
    async notifyReport(identity: string, plan: ReportPlan, summary: ReportSummary, requested: boolean): Promise<DeliveryResult[]> {
      const app = findApp(settings, plan.app);
      const wanted = requested || (plan.window.kind !== 'range' && app.notify.on.includes(plan.window.kind));
      if (!wanted || app.notify.channels.length === 0) return [];
      return withKeepAlive(async () => {
        if (!shared) return deliverNotifications(settings, { identity, kind: 'report', appKey: plan.app, window: plan.window, summary });
        // The folder as published, on whichever worker rendered it.
        const folder = resolveInside(outputDir, plan.folder);
        const names = ((await shared.published(plan.folder)) ?? []).map((file) => file.name);
        await shared.fetchPublished(plan.folder, names);
        const expiry = settings.reportLinkExpirySeconds;
        const link = store?.link?.bind(store);
        const linked = names.filter((name) => name === 'report.html' || name.endsWith('.csv'));
        const links =
          expiry && link
            ? {
                expiresAt: new Date(Date.now() + expiry * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
                files: await Promise.all(linked.map(async (name) => ({ name, url: await link(`${plan.folder}/${name}`, expiry) }))),
              }
            : undefined;
        return deliverNotifications(settings, { identity, kind: 'report', appKey: plan.app, window: plan.window, summary: { ...summary, folder }, links }, { store });
      });
    },

    /** The failure notice: what failed, the error in one line, the workflow id to look up. */
    async notifyFailure(identity: string, request: { app: string; kind: 'range' | 'daily' | 'weekly'; workflowId: string; error: string }): Promise<DeliveryResult[]> {
      const app = settings.apps.find((candidate) => candidate.key === request.app);
      if (!app || app.notify.channels.length === 0) return [];
      return withKeepAlive(() =>
        deliverNotifications(settings, {
          identity,
          kind: 'failure',
          appKey: app.key,
          failure: { workflowId: request.workflowId, error: request.error, reportKind: request.kind },
        }, { store }),
      );
    },

    /** Separate from rendering so a retried render still finds its inputs. */
    async discardWorkDir(plan: ReportPlan): Promise<void> {
      return run(async () => {
        await removeFolder(resolveInside(outputDir, plan.workDir));
        await shared?.remove(plan.workDir);
      });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
