import { z } from 'zod';
import { helpHandler } from './handlers/help';
import {
  DiscardData,
  discardDraft,
  draftNotFound,
  DraftStepData,
  EditData,
  editIntakeStep,
  listDrafts,
  nextIntakeStep,
  previousIntakeStep,
  resumeDraft,
  ReviseData,
  reviseNotNow,
  reviseRequest,
  startIntake,
  submitIntake,
} from './handlers/intake';
import { languageCommand, LanguageData, setLanguage } from './handlers/language';
import { exportRecords } from './handlers/export';
import { showMail } from './handlers/mail';
import { showApplications } from './handlers/applications';
import {
  listAll,
  listMine,
  listWaiting,
  PageData,
  search,
  showStatus,
  showSummary,
  turnPage,
} from './handlers/status';
import { listChannels, registerChannel } from './handlers/channels';
import { DecideData, decideFromCard, RefreshData, refreshCard, showHistory } from './handlers/decide';
import { answerFromCard, DeclineData, declineFromCard, QuestionData } from './handlers/questions';
import { EvaluateData, evaluateFromCard } from './handlers/evaluation';
import { DebriefData, sendDebrief } from './handlers/debrief';
import { delegateCommand } from './handlers/delegate';
import { attachDocument } from './handlers/documents';
import { Router } from './router';

/** Every command word and card verb the bot answers, in one place. */
export function createRoutes(): Router {
  const router = new Router();
  const help = helpHandler(router);
  router.command('help', { en: 'help', fr: 'aide' }, 'commands.help', help, [
    'hello',
    'hi',
    'bonjour',
    'salut',
  ]);
  router.command('new', { en: 'new', fr: 'nouveau' }, 'commands.new', startIntake, [
    'nouvelle',
    'request',
    'demande',
  ]);
  router.command('drafts', { en: 'drafts', fr: 'brouillons' }, 'commands.drafts', listDrafts, [
    'draft',
    'brouillon',
  ]);
  router.command('language', { en: 'language', fr: 'langue' }, 'commands.language', languageCommand, [
    'lang',
  ]);
  router.command('register', { en: 'register', fr: 'inscrire' }, 'commands.register', registerChannel);
  router.command('channels', { en: 'channels', fr: 'canaux' }, 'commands.channels', listChannels, [
    'channel',
    'canal',
  ]);
  router.command('history', { en: 'history', fr: 'historique' }, 'commands.history', showHistory);
  router.command('status', { en: 'status', fr: 'état' }, 'commands.status', showStatus, ['statut']);
  router.command('mine', { en: 'mine', fr: 'mes demandes' }, 'commands.mine', listMine, ['my requests']);
  router.command('waiting', { en: 'waiting', fr: 'en attente' }, 'commands.waiting', listWaiting);
  router.command('list', { en: 'list', fr: 'liste' }, 'commands.list', listAll);
  router.command('search', { en: 'search', fr: 'chercher' }, 'commands.search', search, [
    'find',
    'recherche',
    'trouver',
  ]);
  router.command('summary', { en: 'summary', fr: 'sommaire' }, 'commands.summary', showSummary, [
    'pipeline',
    'portrait',
  ]);
  router.command('export', { en: 'export', fr: 'exporter' }, 'commands.export', exportRecords, ['csv']);
  router.command(
    'applications',
    { en: 'applications', fr: 'candidatures' },
    'commands.applications',
    showApplications,
    ['application', 'candidature'],
  );
  router.command('mail', { en: 'mail', fr: 'courriels' }, 'commands.mail', showMail, [
    'email',
    'e-mail',
    'courriel',
  ]);
  // Anywhere: a colleague can be @mentioned only in a conversation they are in (a channel, a group chat).
  router.command('delegate', { en: 'delegate', fr: 'déléguer' }, 'commands.delegate', delegateCommand, [
    'delegation',
    'delegations',
  ]);
  router.command('attach', { en: 'attach', fr: 'joindre' }, 'commands.attach', attachDocument, ['document']);
  router.pattern(/^MA-\d{4}-\d{4,}$/i, 'status');
  const nothing = z.object({});
  router.action('help.show', nothing, help);
  router.action('list.page', PageData, turnPage);
  router.action('decide', DecideData, decideFromCard);
  router.action('card.refresh', RefreshData, refreshCard);
  router.action('intake.new', nothing, startIntake);
  router.action('intake.drafts', nothing, listDrafts);
  router.action('intake.resume', DraftStepData, resumeDraft, draftNotFound);
  router.action('intake.next', DraftStepData, nextIntakeStep, draftNotFound);
  router.action('intake.back', DraftStepData, previousIntakeStep, draftNotFound);
  router.action('intake.edit', EditData, editIntakeStep, draftNotFound);
  router.action('intake.discard', DiscardData, discardDraft, draftNotFound);
  router.action('intake.submit', DraftStepData, submitIntake, draftNotFound);
  router.action('intake.revise', ReviseData, reviseRequest, reviseNotNow);
  router.action('language.set', LanguageData, setLanguage);
  router.action('question.answer', QuestionData, answerFromCard);
  router.action('question.decline', DeclineData, declineFromCard);
  router.action('application.evaluate', EvaluateData, evaluateFromCard);
  router.action('debrief.send', DebriefData, sendDebrief);
  return router;
}
