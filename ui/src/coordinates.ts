// A latitude and longitude pasted together into the Latitude field (as maps and
// cameras copy them: `16°04'10.6"N 108°05'32.3"E`, `16.0696, 108.0923`) fill
// both fields. The engine parses the pair (core's coordinate parser, the one of
// record); anything that is not a pair is pasted as usual.

import { api } from './api';

/** Wires `input` so a pasted pair calls `fill` with the two decimals instead. */
export function onPairPaste(input: HTMLInputElement, fill: (latitude: string, longitude: string) => void): void {
  input.addEventListener('paste', (ev) => {
    const text = ev.clipboardData?.getData('text/plain') ?? '';
    if (!text.trim()) return;
    // The engine answers after the event: paste the text ourselves unless it is a pair.
    ev.preventDefault();
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    const pasteAsText = () => {
      input.setRangeText(text, start, end, 'end');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    };
    api.parseCoordinates(text).then(
      (pair) => (pair ? fill(pair[0], pair[1]) : pasteAsText()),
      // A pair with a bad half: paste it, and the field says what is wrong when it is saved.
      pasteAsText,
    );
  });
}
