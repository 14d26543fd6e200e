import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { PREFETCH_AFTER_MS, TypeaheadController, insertsWholeText } from './typeahead';

function setUp(enabled = () => true) {
  const controllers: ReactiveController[] = [];
  const host = { addController: (c: ReactiveController) => controllers.push(c) } as unknown as ReactiveControllerHost;
  const sent: string[] = [];
  const typeahead = new TypeaheadController(host, { prefetch: (text) => sent.push(text), enabled });
  return { typeahead, sent, controllers };
}

/** Types `text` key by key, `gapMs` apart, the box's whole text reported after each key. */
function type(typeahead: TypeaheadController, text: string, gapMs: number): void {
  for (let i = 1; i <= text.length; i++) {
    typeahead.input(text.slice(0, i));
    vi.advanceTimersByTime(gapMs);
  }
}

describe('TypeaheadController', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the text once the box pauses, not while keys come 60–120 ms apart', () => {
    const { typeahead, sent, controllers } = setUp();
    expect(controllers).toEqual([typeahead]);
    type(typeahead, 'sparse attention', 120);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(PREFETCH_AFTER_MS - 121);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['sparse attention']);
  });

  it('a newer keystroke supersedes the pending text; a pause mid-typing sends that text, then the final one', () => {
    const { typeahead, sent } = setUp();
    type(typeahead, 'sparse', 60);
    vi.advanceTimersByTime(PREFETCH_AFTER_MS); // a pause after the first word
    typeahead.input('sparse a');
    vi.advanceTimersByTime(PREFETCH_AFTER_MS - 1);
    typeahead.input('sparse at');
    vi.advanceTimersByTime(PREFETCH_AFTER_MS);
    expect(sent).toEqual(['sparse', 'sparse at']);
  });

  it('Enter cancels a pending prefetch; an unchanged or empty text and a disabled state send nothing', () => {
    let enabled = true;
    const { typeahead, sent } = setUp(() => enabled);
    typeahead.input('graph neural networks');
    expect(typeahead.pending).toBe(true);
    typeahead.cancel();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);

    typeahead.input('graph neural networks ');
    vi.advanceTimersByTime(PREFETCH_AFTER_MS);
    typeahead.input('graph neural networks'); // the same words again
    vi.advanceTimersByTime(PREFETCH_AFTER_MS);
    typeahead.input('   ');
    vi.advanceTimersByTime(PREFETCH_AFTER_MS);
    expect(sent).toEqual(['graph neural networks']);

    enabled = false; // e.g. keyword ranking, or the model still loading
    typeahead.input('molecules');
    vi.advanceTimersByTime(PREFETCH_AFTER_MS);
    expect(sent).toEqual(['graph neural networks']);
  });

  it('sends a whole text (a paste) at once, and a key typed after it waits for the pause again', () => {
    const { typeahead, sent } = setUp();
    type(typeahead, 'sparse', 60);
    typeahead.input('sparse attention for long documents', { whole: true });
    expect(sent).toEqual(['sparse attention for long documents']);
    expect(typeahead.pending).toBe(false);
    typeahead.input('sparse attention for long documents', { whole: true }); // the same text again: nothing
    expect(sent).toEqual(['sparse attention for long documents']);
    typeahead.input('sparse attention for long documents!');
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(PREFETCH_AFTER_MS);
    expect(sent).toEqual(['sparse attention for long documents', 'sparse attention for long documents!']);
  });

  it('a whole text sends nothing while prefetching cannot help', () => {
    const { typeahead, sent } = setUp(() => false);
    typeahead.input('graph neural networks for molecules', { whole: true });
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
  });

  it('drops a pending prefetch when its element leaves the page', () => {
    const { typeahead, sent } = setUp();
    typeahead.input('unlearning');
    typeahead.hostDisconnected();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
  });
});

describe('insertsWholeText', () => {
  const input = (inputType: string | undefined, data: string | null = null) => ({ inputType, data }) as unknown as Event;

  it('is true for pastes, drops, autocompletions and several characters inserted at once', () => {
    expect(insertsWholeText(input('insertFromPaste'))).toBe(true);
    expect(insertsWholeText(input('insertFromDrop'))).toBe(true);
    expect(insertsWholeText(input('insertReplacementText'))).toBe(true);
    expect(insertsWholeText(input('insertText', 'graph neural networks'))).toBe(true);
  });

  it('is false for a key typed, a deletion, or an event that is not an input event', () => {
    expect(insertsWholeText(input('insertText', 'g'))).toBe(false);
    expect(insertsWholeText(input('deleteContentBackward'))).toBe(false);
    expect(insertsWholeText(input(undefined))).toBe(false);
  });
});
