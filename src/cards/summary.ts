import { type Locale, t } from '../i18n';
import { formatDate, formatMoney, formatNumber } from '../i18n/format';
import { SELF_IDENTIFICATION } from '../services/applications';
import {
  CLOSED_STATUSES,
  type Elapsed,
  type ElapsedVsPilot,
  OPEN_STATUSES,
  type PipelineSummary,
  type SelfIdentificationShare,
  type Stage,
  STAGES,
} from '../services/pipeline';
import { pipelineChartPng } from './chart';
import { partiesInWords } from './opportunity';
import { type Card, expand } from './template';

/** Waiting requests named on the card; the rest are counted, so the card stays small. */
const WAITING_SHOWN = 8;

function stageNames(locale: Locale): Record<Stage, string> {
  return {
    1: t(locale, 'summary.stages.1'),
    2: t(locale, 'summary.stages.2'),
    3: t(locale, 'summary.stages.3'),
    4: t(locale, 'summary.stages.4'),
    5: t(locale, 'summary.stages.5'),
  };
}

/** Median (90th percentile) of a measure; beside the pilot's figures when it has them. */
function elapsed(locale: Locale, e: Elapsed | ElapsedVsPilot): string {
  if (e.businessDays.median === undefined) return t(locale, 'summary.noData');
  // The unit agrees with the figure next to it: the 90th percentile for business days, the median for
  // calendar days (whole days, so shown as they are).
  const figures = {
    median: formatNumber(e.businessDays.median, locale),
    count: e.businessDays.p90 ?? e.businessDays.median,
    medianCal: e.calendarDays.median ?? 0,
  };
  return 'soleSourceCalendarDays' in e
    ? t(locale, 'summary.elapsedValue', {
        ...figures,
        sole: formatNumber(e.soleSourceCalendarDays, locale),
        projected: formatNumber(e.projectedCalendarDays, locale),
      })
    : t(locale, 'summary.draftValue', figures);
}

const verdict = (locale: Locale, met: boolean) => t(locale, met ? 'summary.met' : 'summary.notMet');

/** A share as a whole percentage: 0.4 → 40. */
const percent = (share: number, locale: Locale) => formatNumber(Math.round(share * 100), locale);

/** A self-identification share, or only that too few answered: never how few. */
function selfIdentified(locale: Locale, s: SelfIdentificationShare): string {
  return s.shown
    ? t(locale, 'summary.selfIdValue', { percent: percent(s.share, locale), count: s.answered })
    : t(locale, 'summary.selfIdHidden', { count: s.minimum });
}

/** The applications in aggregate: the share that passed, and the self-identification shares. */
function applicationsSection(locale: Locale, a: NonNullable<PipelineSummary['applications']>) {
  return {
    heading: t(locale, 'summary.applicationsHeading'),
    facts: [
      {
        title: t(locale, 'summary.passed'),
        value:
          a.passedShare === undefined
            ? t(locale, 'summary.noData')
            : t(locale, 'summary.passedValue', {
                percent: percent(a.passedShare, locale),
                count: a.evaluated,
              }),
      },
      ...SELF_IDENTIFICATION.map((q) => ({
        title: t(locale, `summary.selfId.${q}`),
        value: selfIdentified(locale, a.selfIdentification[q]),
      })),
    ],
    lines: [],
  };
}

/** The pipeline for managers: a chart to look at, then where requests wait and how the service performs. */
export async function summaryCard(
  locale: Locale,
  s: PipelineSummary,
  reminderBusinessDays: number,
): Promise<Card> {
  const names = stageNames(locale);
  const chart = await pipelineChartPng(s, {
    title: t(locale, 'summary.chartTitle'),
    stageNames: names,
    countLabel: t(locale, 'summary.countLabel'),
    formatValue: (cents) => formatMoney(cents, locale),
  });
  const closed = CLOSED_STATUSES.reduce((n, status) => n + s.closed[status].count, 0);
  const shown = s.waiting.slice(0, WAITING_SHOWN);
  const targets = s.targets;
  return expand('summary', {
    heading: t(locale, 'summary.heading', { date: formatDate(s.today, locale) }),
    intro: t(locale, 'summary.intro', {
      count: s.open.total.count,
      value: formatMoney(s.open.total.valueCents, locale),
      closed,
    }),
    chart,
    chartAlt: t(locale, 'summary.chartAlt', {
      // Each figure the chart draws, in words: a stage's count and, when it has requests, their value.
      stages: STAGES.map((stage) => {
        const { count, valueCents } = s.open.byStage[stage];
        return count > 0
          ? t(locale, 'summary.chartStageValue', {
              stage: names[stage],
              count,
              value: formatMoney(valueCents, locale),
            })
          : t(locale, 'summary.chartStage', { stage: names[stage], count });
      }).join('; '),
    }),
    sections: [
      {
        heading: t(locale, 'summary.waitingHeading', { count: reminderBusinessDays }),
        facts: [],
        lines:
          shown.length === 0
            ? [t(locale, 'summary.noneWaiting')]
            : [
                ...shown.map((w) =>
                  t(locale, 'summary.waitingLine', {
                    reference: w.reference,
                    title: w.title,
                    what: t(locale, `waits.kinds.${w.wait}`),
                    who: partiesInWords(locale, w.on),
                    count: w.businessDays,
                  }),
                ),
                ...(s.waiting.length > shown.length
                  ? [t(locale, 'summary.moreWaiting', { count: s.waiting.length - shown.length })]
                  : []),
              ],
      },
      {
        heading: t(locale, 'summary.timeHeading'),
        facts: [
          { title: t(locale, 'summary.endToEnd'), value: elapsed(locale, s.elapsed.endToEnd) },
          { title: t(locale, 'summary.toReceive'), value: elapsed(locale, s.elapsed.toReceiveWork) },
          { title: t(locale, 'summary.toPay'), value: elapsed(locale, s.elapsed.toPay) },
          {
            title: t(locale, 'summary.draftToSubmission'),
            value: elapsed(locale, s.elapsed.draftToSubmission),
          },
        ],
        lines: [],
      },
      {
        heading: t(locale, 'summary.stageTimesHeading'),
        facts: OPEN_STATUSES.filter((status) => s.timeInStatus[status].records > 0).map((status) => {
          const { records, businessDays } = s.timeInStatus[status];
          return {
            title: t(locale, `statuses.${status}`),
            value: t(locale, 'summary.stageTime', {
              median: formatNumber(businessDays.median ?? 0, locale),
              p90: formatNumber(businessDays.p90 ?? 0, locale),
              count: records,
            }),
          };
        }),
        lines: OPEN_STATUSES.some((status) => s.timeInStatus[status].records > 0)
          ? []
          : [t(locale, 'summary.noData')],
      },
      {
        heading: t(locale, 'summary.targetsHeading'),
        facts: [
          {
            title: t(locale, 'summary.posted', { year: targets.postedThisYear.year }),
            value: t(locale, 'summary.postedValue', {
              posted: targets.postedThisYear.count,
              target: targets.postedThisYear.target,
              verdict: verdict(locale, targets.postedThisYear.met),
            }),
          },
          {
            title: t(locale, 'summary.applications'),
            value:
              targets.applicationsPerOpportunity.average === undefined ||
              targets.applicationsPerOpportunity.met === undefined
                ? t(locale, 'summary.applicationsUnmeasured', {
                    target: targets.applicationsPerOpportunity.moreThan,
                  })
                : t(locale, 'summary.applicationsValue', {
                    average: formatNumber(targets.applicationsPerOpportunity.average, locale),
                    target: targets.applicationsPerOpportunity.moreThan,
                    verdict: verdict(locale, targets.applicationsPerOpportunity.met),
                  }),
          },
          {
            title: t(locale, 'summary.bidders'),
            value: t(locale, 'summary.biddersValue', {
              bidders: targets.uniqueBidders.count,
              target: targets.uniqueBidders.moreThan,
              verdict: verdict(locale, targets.uniqueBidders.met),
            }),
          },
          {
            title: t(locale, 'summary.timeToPay'),
            value:
              targets.timeToPay.medianCalendarDays === undefined || targets.timeToPay.met === undefined
                ? t(locale, 'summary.noData')
                : t(locale, 'summary.timeToPayValue', {
                    count: targets.timeToPay.medianCalendarDays,
                    target: formatNumber(targets.timeToPay.targetCalendarDays, locale),
                    verdict: verdict(locale, targets.timeToPay.met),
                  }),
          },
        ],
        lines: [],
      },
      ...(s.applications ? [applicationsSection(locale, s.applications)] : []),
    ],
  });
}
