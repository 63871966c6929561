/**
 * The Flan-like instruction mixture of pre-training: each task posed through templates of its own
 * (worded unlike the built-in templates the experts are fine-tuned and evaluated with, as Flan poses a
 * task in many ways), answered with the task's label words. Pre-training sees only a seeded sample of
 * each train split through these templates, mixed with span corruption, so that the pre-trained model
 * is a weak zero-shot classifier on the built-in prompts, as Flan-T5 is on GLUE's.
 */
import type { TextTaskName } from './tasks.js';

export const INSTRUCTION_TEMPLATES: Readonly<Record<TextTaskName, readonly string[]>> = {
  cola: [
    'Is this sentence well formed English? {sentence} Reply acceptable or unacceptable.',
    'Grammar check. Sentence: {sentence} Verdict (acceptable or unacceptable):',
  ],
  sst2: [
    'What feeling does this text express? {sentence} Say positive or negative.',
    'Text: {sentence} Is the tone of the text negative or positive?',
  ],
  mrpc: [
    'First: {sentence1} Second: {sentence2} Do the two sentences say the same thing? yes or no.',
    "Is '{sentence2}' a paraphrase of '{sentence1}'? Reply yes or no.",
  ],
  qqp: [
    'Question A: {question1} Question B: {question2} Do both ask the same thing? yes or no.',
    "Would '{question1}' and '{question2}' get the same answer? Reply yes or no.",
  ],
  qnli: [
    'Question: {question} Sentence: {sentence} Does the sentence answer the question? yes or no.',
    "Can '{question}' be answered from '{sentence}'? Reply yes or no.",
  ],
  mnli: [
    'Premise: {premise} Hypothesis: {hypothesis} Relation (entailment, neutral or contradiction):',
    "Given that '{premise}', is '{hypothesis}' entailment, neutral or contradiction?",
  ],
  rte: [
    'Text: {sentence1} Claim: {sentence2} Does the text make the claim true? yes or no.',
    "If '{sentence1}', then is it true that '{sentence2}'? Reply yes or no.",
  ],
  stsb: [
    'How close in meaning are these, from 0 to 5? A: {sentence1} B: {sentence2}',
    "Similarity score (0 to 5) of '{sentence1}' and '{sentence2}':",
  ],
};
