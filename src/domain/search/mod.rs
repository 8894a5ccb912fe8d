//! A search as readers type it, parsed once and made into PostgreSQL `tsquery` text that cannot fail to parse.
//!
//! The syntax is the web-search one: `"exact phrase"`, `-word` (or `-"phrase"`) excludes, `or` between two terms
//! accepts either; other punctuation separates words, and a token of several words (`write-ahead`) is a phrase of
//! them. Every operand handed to PostgreSQL is quoted (and holds no quote, backslash or angle bracket), so no input
//! reaches the parser as an operator (runs of `-` overflowed its stack, a 500 for anyone, before this). At most 32
//! terms.
//!
//! Beyond the syntax: the last word, when the text does not end in a space, is a prefix (as you type); a word of 5
//! letters or more may be read as a known word one typo away (two from 9 letters): `corrections` decides which.

use std::collections::HashMap;

/// The most terms a search keeps.
pub const MAX_TERMS: usize = 32;

/// The shortest word that typo tolerance corrects, and the shortest that tolerates two typos.
pub const ONE_TYPO_FROM: usize = 5;
pub const TWO_TYPOS_FROM: usize = 9;

/// The shortest prefix completed as you type: one letter would match most of the vocabulary.
const PREFIX_FROM: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operand {
    /// One word of letters and digits, lower case: it may be corrected, or completed as a prefix.
    Word(String),
    /// Anything else (`node.js`, `http/2`, `write-ahead`, a quoted phrase): text PostgreSQL's parser splits as it
    /// splits documents, adjacent words making a phrase. Quotes and backslashes are spaces in it, and so are
    /// angle brackets (as in the stored vectors: `folio_plain`).
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    operand: Operand,
    negated: bool,
    /// Joined to the previous term by `or` rather than `and`.
    or: bool,
}

/// A parsed search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
    /// The last term is still being typed.
    prefix: bool,
    /// Known words that the word being typed begins (see `completable`).
    completions: Vec<String>,
}

/// The forms of query text a search needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Match,
    /// `Match` read as written: no corrections, and the word being typed as a whole word.
    Exact,
    Rank,
    Any,
}

/// Known words that a query word may stand for, by query word.
pub type Corrections = HashMap<String, Vec<String>>;

/// The operand a token stands for; `None` when it holds no letter or digit. Punctuation around a token is not
/// part of it (`(kafka),` is `kafka`).
fn operand(token: &str) -> Option<Operand> {
    let token = token.trim_matches(|c: char| !c.is_alphanumeric());
    if token.is_empty() {
        None
    } else if token.chars().all(char::is_alphanumeric) {
        Some(Operand::Word(token.to_lowercase()))
    } else {
        let text: String = token
            .chars()
            .map(|c| match c {
                '\'' | '\\' | '<' | '>' | '"' => ' ',
                c => c,
            })
            .collect();
        Some(Operand::Text(text))
    }
}

impl Query {
    /// Parses `q`; `None` when nothing searchable is left.
    pub fn parse(q: &str) -> Option<Query> {
        let mut terms: Vec<Term> = Vec::new();
        let mut or = false;
        let mut rest = q;
        let mut last_open = false;
        while terms.len() < MAX_TERMS {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let negated = rest.starts_with('-');
            let body = rest.trim_start_matches('-');
            let (text, quoted, next) = if let Some(inner) = body.strip_prefix('"') {
                match inner.find('"') {
                    Some(end) => (&inner[..end], true, &inner[end + 1..]),
                    None => (inner, true, ""),
                }
            } else {
                let end = body
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(body.len());
                (&body[..end], false, &body[end..])
            };
            rest = next;
            if !quoted && !negated && text.eq_ignore_ascii_case("or") {
                or = !terms.is_empty();
                continue;
            }
            // A quoted word is meant as written: neither corrected nor completed.
            let operand = match operand(text) {
                Some(Operand::Word(w)) if quoted => Some(Operand::Text(w)),
                other => other,
            };
            if let Some(operand) = operand {
                last_open = !quoted && rest.is_empty();
                terms.push(Term {
                    operand,
                    negated,
                    or,
                });
            }
            or = false;
        }
        let prefix = last_open
            && terms.last().is_some_and(|t| {
                !t.negated
                    && match &t.operand {
                        Operand::Word(w) => w.chars().count() >= PREFIX_FROM,
                        Operand::Text(_) => true,
                    }
            });
        (!terms.is_empty()).then_some(Query {
            terms,
            prefix,
            completions: Vec::new(),
        })
    }

    /// Whether a wanted term is more than one plain word (a phrase, `node.js`): the full-text index cannot test
    /// it, so each row it proposes is read again to check the words' order.
    pub fn has_phrase(&self) -> bool {
        self.terms
            .iter()
            .any(|t| !t.negated && matches!(t.operand, Operand::Text(_)))
    }

    /// The word being typed, when it is long enough to have gone past its stem: a prefix is matched against the
    /// stored stems, and `paginat` begins no stem (`pagination` is stored as `pagin`), so the known words it
    /// begins are added to it (`complete`).
    pub fn completable(&self) -> Option<&str> {
        match self.terms.last() {
            Some(Term {
                operand: Operand::Word(w),
                ..
            }) if self.prefix && w.chars().count() >= ONE_TYPO_FROM => Some(w),
            _ => None,
        }
    }

    /// Adds known words that the word being typed begins.
    pub fn complete(&mut self, words: Vec<String>) {
        self.completions = words;
    }

    /// The words typo tolerance may correct: the wanted single words of 5 letters or more.
    pub fn correctable(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .terms
            .iter()
            .filter(|t| !t.negated)
            .filter_map(|t| match &t.operand {
                Operand::Word(w) if w.chars().count() >= ONE_TYPO_FROM => Some(w.as_str()),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The query as `to_tsquery` text, each word also accepting its corrections.
    pub fn tsquery(&self, corrections: &Corrections) -> String {
        self.build(corrections, Form::Match)
    }

    /// The wanted terms alone, as the query joins them: what a rank measures (an excluded word is absent from
    /// every match, and a rank of an `and` with it would be nothing for all of them).
    pub fn ranked(&self, corrections: &Corrections) -> String {
        self.build(corrections, Form::Rank)
    }

    /// Any wanted term: what a highlight marks (a fragment of the body may hold one word of a search that the
    /// title answers the rest of).
    pub fn any(&self, corrections: &Corrections) -> String {
        self.build(corrections, Form::Any)
    }

    fn build(&self, corrections: &Corrections, form: Form) -> String {
        let mut out = String::new();
        let last = self.terms.len().saturating_sub(1);
        let mut first = true;
        for (i, term) in self.terms.iter().enumerate() {
            if term.negated && !matches!(form, Form::Match | Form::Exact) {
                continue;
            }
            let typing = self.prefix && i == last && form != Form::Exact;
            if !first {
                out.push_str(if term.or || form == Form::Any {
                    " | "
                } else {
                    " & "
                });
            }
            first = false;
            if term.negated {
                out.push('!');
            }
            match &term.operand {
                Operand::Word(w) => {
                    let prefix = typing;
                    let completions: &[String] = if prefix { &self.completions } else { &[] };
                    let typos = corrections.get(w).filter(|_| !term.negated);
                    let alternatives: Vec<&String> = completions
                        .iter()
                        .chain(typos.into_iter().flatten())
                        .collect();
                    let many = !alternatives.is_empty();
                    if many {
                        out.push('(');
                    }
                    quote(&mut out, w);
                    if prefix {
                        out.push_str(":*");
                    }
                    for alternative in alternatives {
                        out.push_str(" | ");
                        quote(&mut out, alternative);
                    }
                    if many {
                        out.push(')');
                    }
                }
                Operand::Text(text) => {
                    quote(&mut out, text);
                    if typing {
                        out.push_str(":*");
                    }
                }
            }
        }
        out
    }

    /// The opening of each wanted word (and of its corrections), lower case, as long as a stem keeps of it
    /// (`hashing` → `hash`, `consistent` → `consist`): to find where a text mentions the search.
    pub fn stems(&self, corrections: &Corrections) -> Vec<String> {
        let opening = |w: &str| -> String {
            let n = w.chars().count();
            w.chars().take(n.min(4.max(n.saturating_sub(3)))).collect()
        };
        let mut out: Vec<String> = Vec::new();
        for term in self.terms.iter().filter(|t| !t.negated) {
            match &term.operand {
                Operand::Word(w) => {
                    out.push(opening(w));
                    for c in corrections.get(w).into_iter().flatten() {
                        out.push(opening(c));
                    }
                }
                Operand::Text(text) => out.extend(
                    text.split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(|w| opening(&w.to_lowercase())),
                ),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The query as written, the word being typed as a whole word, with no corrections or completions: a document it matches ranks above one found through a typo.
    pub fn exact(&self) -> String {
        self.build(&Corrections::new(), Form::Exact)
    }

    /// Every wanted term of an all-`and` query of two terms or more, as one phrase: a document with the words
    /// together ranks above one where they are scattered.
    pub fn together(&self) -> Option<String> {
        if self.terms.len() < 2 || self.terms.iter().any(|t| t.or || t.negated) {
            return None;
        }
        let mut out = String::from("(");
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                out.push_str(" <-> ");
            }
            match &term.operand {
                Operand::Word(w) | Operand::Text(w) => quote(&mut out, w),
            }
        }
        if self.prefix {
            out.push_str(":*");
        }
        out.push(')');
        Some(out)
    }

    /// A prefix query on the title's words, for suggestions: every wanted term must be in the title, the last
    /// one as a prefix when it is being typed.
    pub fn suggestion(&self) -> Option<String> {
        self.suggestion_of(self.terms.iter().filter(|t| !t.negated).count())
    }

    /// `suggestion` without the term being typed, when there is one and another before it: the titles of the
    /// words typed so far while the next one begins with a stop word or a lone letter (`search w`).
    pub fn suggestion_so_far(&self) -> Option<String> {
        let wanted = self.terms.iter().filter(|t| !t.negated).count();
        let last_wanted = self.terms.last().is_some_and(|t| !t.negated);
        (last_wanted && wanted >= 2)
            .then(|| self.suggestion_of(wanted - 1))
            .flatten()
    }

    fn suggestion_of(&self, n: usize) -> Option<String> {
        let all = self.terms.iter().filter(|t| !t.negated).count();
        let wanted: Vec<&Term> = self.terms.iter().filter(|t| !t.negated).take(n).collect();
        let typing = self.prefix && n == all;
        let mut out = String::new();
        for (i, term) in wanted.iter().enumerate() {
            if i > 0 {
                out.push_str(" & ");
            }
            match &term.operand {
                Operand::Word(w) if i + 1 == wanted.len() && typing => {
                    let many = !self.completions.is_empty();
                    if many {
                        out.push('(');
                    }
                    quote(&mut out, w);
                    out.push_str(":*A");
                    for c in &self.completions {
                        out.push_str(" | ");
                        quote(&mut out, c);
                        out.push_str(":A");
                    }
                    if many {
                        out.push(')');
                    }
                }
                Operand::Text(text) if i + 1 == wanted.len() && typing => {
                    quote(&mut out, text);
                    out.push_str(":*A");
                }
                Operand::Word(w) | Operand::Text(w) => {
                    quote(&mut out, w);
                    out.push_str(":A");
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

fn quote(out: &mut String, word: &str) {
    out.push('\'');
    out.push_str(word);
    out.push('\'');
}

/// Whether `known` may stand for the typed `word`: within one edit (two from 9 letters), transpositions
/// counting as one, and not the word itself.
pub fn is_correction(word: &str, known: &str) -> bool {
    let length = word.chars().count();
    let allowed = if length >= TWO_TYPOS_FROM {
        2
    } else if length >= ONE_TYPO_FROM {
        1
    } else {
        0
    };
    let distance = strsim::damerau_levenshtein(word, known);
    distance > 0 && distance <= allowed
}

mod marks;
pub use marks::*;

#[cfg(test)]
mod tests;
