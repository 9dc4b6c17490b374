// Imported first by cli.tsx. React's development build records a performance.measure entry
// for every component render and never clears them, so hours of dashboard redraws would grow
// the heap without bound; the shipped CLI runs React's production build unless told otherwise.
process.env.NODE_ENV ??= 'production';
