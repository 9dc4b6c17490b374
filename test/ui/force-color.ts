// Imported first by tests that check colour: chalk reads FORCE_COLOR once, when Ink loads it,
// and a test run's stdout is not a TTY, so without this every frame would be colourless anyway.
process.env.FORCE_COLOR = '1';
delete process.env.NO_COLOR;
