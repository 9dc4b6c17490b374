// Themes are data files in themes/; NO_COLOR forces the colourless one.
import {existsSync, readFileSync, readdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {createContext, useContext} from 'react';
import {UserError} from '../errors.js';

export type ThemeColors = {accent: string; text: string; muted: string; success: string; warning: string; error: string; highlight: string};
export type Theme = {name: string; description?: string; colors: ThemeColors};

export function themesDir(): string {
	let dir = dirname(fileURLToPath(import.meta.url));
	while (!existsSync(join(dir, 'themes')) && dirname(dir) !== dir) dir = dirname(dir);
	return join(dir, 'themes');
}

export const themeNames = () => readdirSync(themesDir()).filter(f => f.endsWith('.json')).map(f => f.slice(0, -5)).sort();

export function loadTheme(name: string, env = process.env): Theme {
	const wanted = env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? 'none' : name;
	const file = join(themesDir(), `${wanted}.json`);
	if (!existsSync(file)) throw new UserError(`unknown theme "${name}": choose one of ${themeNames().join(', ')}`, 2);
	const theme = JSON.parse(readFileSync(file, 'utf8')) as Theme;
	return theme;
}

// Ink treats an empty colour as "no colour".
export const color = (c: string) => (c === '' ? undefined : c);

export const ThemeContext = createContext<Theme>({name: 'none', colors: {accent: '', text: '', muted: '', success: '', warning: '', error: '', highlight: ''}});
export const useTheme = () => useContext(ThemeContext);
