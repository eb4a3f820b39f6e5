// Whether the OS asks for dark mode (prefers-color-scheme), kept current when it
// changes: the CSS follows by itself; charts read this to switch their theme.
const query = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

export const theme = $state({ dark: query?.matches ?? false });

query?.addEventListener('change', (event) => {
  theme.dark = event.matches;
});
