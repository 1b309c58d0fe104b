// The tabs of the dashboard, after the chapters of the CBS SWI report.
import { populatie } from './populatie.js';
import { coa } from './coa.js';
import { regio } from './regio.js';
import { gemeente } from './gemeente.js';
import { examens } from './examens.js';
import { werk } from './werk.js';
import { doorlooptijden } from './doorlooptijden.js';
import { publicaties } from './publicaties.js';

export const PAGES = { populatie, coa, regio, gemeente, examens, werk, doorlooptijden, publicaties };
