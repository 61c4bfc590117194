//! The reader's query syntax: words, "phrases in quotes", `-word` and `-"a phrase"` to exclude.
//! Parsing never fails: unbalanced quotes close at the end, lone operators and control
//! characters are ignored, so any input gives a sensible query.

/// Longest query accepted, in characters; longer ones are refused with a clear answer.
pub const MAX_QUERY_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    Word(String),
    Phrase(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub include: Vec<Clause>,
    pub exclude: Vec<Clause>,
}

impl UserQuery {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty()
    }

    /// Parses `input`; words keep their case and punctuation (the analyzer decides later).
    pub fn parse(input: &str) -> Self {
        let cleaned: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut q = UserQuery::default();
        let mut chars = cleaned.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let Some(&first) = chars.peek() else { break };
            let negate = first == '-';
            if negate || first == '+' {
                chars.next();
            }
            let clause = if chars.peek() == Some(&'"') {
                chars.next();
                let mut text = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    text.push(c);
                }
                let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
                match words.len() {
                    0 => None,
                    1 => words.into_iter().next().map(Clause::Word),
                    _ => Some(Clause::Phrase(words)),
                }
            } else {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                let trimmed = word.trim_matches(|c: char| c == '-' || c == '+');
                (!trimmed.is_empty() && trimmed.chars().any(char::is_alphanumeric))
                    .then(|| Clause::Word(trimmed.to_owned()))
            };
            match (clause, negate) {
                (Some(c), true) => q.exclude.push(c),
                (Some(c), false) => q.include.push(c),
                (None, _) => {}
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Clause {
        Clause::Word(s.into())
    }
    fn p(s: &[&str]) -> Clause {
        Clause::Phrase(s.iter().map(|x| (*x).to_owned()).collect())
    }
    fn check(input: &str, include: &[Clause], exclude: &[Clause]) {
        let q = UserQuery::parse(input);
        assert_eq!(
            (q.include.as_slice(), q.exclude.as_slice()),
            (include, exclude),
            "{input:?}"
        );
    }

    #[test]
    fn words_phrases_and_exclusions() {
        check("oil prices", &[w("oil"), w("prices")], &[]);
        check(
            "\"interest rates\" bank",
            &[p(&["interest", "rates"]), w("bank")],
            &[],
        );
        check("copper -gold", &[w("copper")], &[w("gold")]);
        check(
            "bank -\"central bank\"",
            &[w("bank")],
            &[p(&["central", "bank"])],
        );
        check("+required word", &[w("required"), w("word")], &[]);
        check("well-known U.S.", &[w("well-known"), w("U.S.")], &[]);
    }

    #[test]
    fn hostile_input_still_parses() {
        check("\"unbalanced quote", &[p(&["unbalanced", "quote"])], &[]);
        check("\"\"", &[], &[]);
        check("-", &[], &[]);
        check("- - -- +", &[], &[]);
        check("a\u{0}b\u{7}c\td", &[w("a"), w("b"), w("c"), w("d")], &[]);
        check(
            "'; DROP TABLE articles; --",
            &[w("DROP"), w("TABLE"), w("articles;")],
            &[],
        );
        check(
            "<script>alert(1)</script>",
            &[w("<script>alert(1)</script>")],
            &[],
        );
        check("\"one\"", &[w("one")], &[]);
        check("***", &[], &[]);
    }
}
