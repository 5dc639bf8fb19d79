//! Product groups: connected components of the active code links (SPEC 2.2).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::snapshot::CodeLink;

/// Codes grouped by the links, transitively and symmetrically. A code with no link is its own
/// group (and is not stored here).
#[derive(Debug, Clone, Default)]
pub struct ProductGroups {
    /// Linked code -> index of its group in `members`.
    group_of: foldhash::HashMap<Arc<str>, usize>,
    /// Members of each linked group, sorted (the links' own shared strings).
    members: Vec<Vec<Arc<str>>>,
}

impl ProductGroups {
    /// Builds the groups with a union-find over the codes that appear in the links.
    pub fn from_links<'a>(links: impl IntoIterator<Item = &'a CodeLink>) -> Self {
        let mut index: HashMap<&'a str, usize> = HashMap::new();
        let mut parent: Vec<usize> = Vec::new();
        let mut names: Vec<&'a Arc<str>> = Vec::new();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let mut id_of =
            |code: &'a Arc<str>, parent: &mut Vec<usize>, names: &mut Vec<&'a Arc<str>>| {
                *index.entry(&**code).or_insert_with(|| {
                    parent.push(parent.len());
                    names.push(code);
                    parent.len() - 1
                })
            };
        for link in links {
            let a = id_of(&link.origem, &mut parent, &mut names);
            let b = id_of(&link.destino, &mut parent, &mut names);
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                // Attach the larger root under the smaller: deterministic, and depth stays small
                // thanks to path halving in `find`.
                let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                parent[hi] = lo;
            }
        }
        let mut root_to_group: HashMap<usize, usize> = HashMap::new();
        let mut members: Vec<Vec<Arc<str>>> = Vec::new();
        let mut group_of =
            foldhash::HashMap::with_capacity_and_hasher(names.len(), Default::default());
        for (i, name) in names.iter().enumerate() {
            let root = find(&mut parent, i);
            let g = *root_to_group.entry(root).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[g].push(Arc::clone(name));
            group_of.insert(Arc::clone(name), g);
        }
        for m in &mut members {
            m.sort();
        }
        Self { group_of, members }
    }

    /// The codes of the group of `code` (just `code` when it has no link), sorted.
    pub fn members_of<'s>(&'s self, code: &'s str) -> Vec<&'s str> {
        match self.group_of.get(code) {
            Some(&g) => self.members[g].iter().map(|m| &**m).collect(),
            None => vec![code],
        }
    }

    /// A key naming the group of `code`: its smallest member. Two codes are in the same group
    /// exactly when their keys are equal.
    pub fn key_of<'s>(&'s self, code: &'s str) -> &'s str {
        match self.group_of.get(code) {
            Some(&g) => &self.members[g][0],
            None => code,
        }
    }

    /// [`Self::key_of`] as a shared string: the group's smallest member, else `code` itself.
    pub fn shared_key_of(&self, code: &Arc<str>) -> Arc<str> {
        match self.group_of.get(code) {
            Some(&g) => Arc::clone(&self.members[g][0]),
            None => Arc::clone(code),
        }
    }

    /// Every code in the groups of `codes`: what a snapshot must load to analyse lines of them.
    pub fn expand<'c>(&self, codes: impl IntoIterator<Item = &'c str>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for code in codes {
            match self.group_of.get(code) {
                Some(&g) => out.extend(self.members[g].iter().map(|m| m.to_string())),
                None => {
                    out.insert(code.to_string());
                }
            }
        }
        out
    }

    /// Linked groups (of two codes or more), each sorted.
    pub fn linked_groups(&self) -> &[Vec<Arc<str>>] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(&str, &str)]) -> Vec<CodeLink> {
        pairs.iter().map(|(a, b)| CodeLink::new(*a, *b)).collect()
    }

    #[test]
    fn chains_are_transitive() {
        let g = ProductGroups::from_links(&links(&[
            ("4004", "3003"),
            ("3003", "2002"),
            ("1001", "2002"),
        ]));
        assert_eq!(g.members_of("4004"), vec!["1001", "2002", "3003", "4004"]);
        assert_eq!(g.key_of("4004"), g.key_of("1001"));
    }

    #[test]
    fn unlinked_code_is_its_own_group() {
        let g = ProductGroups::from_links(&links(&[("A", "B")]));
        assert_eq!(g.members_of("C"), vec!["C"]);
        assert_ne!(g.key_of("C"), g.key_of("A"));
        let all: Vec<String> = g.expand(["A", "C"]).into_iter().collect();
        assert_eq!(all, vec!["A", "B", "C"]);
    }

    #[test]
    fn separate_components_stay_apart() {
        let g = ProductGroups::from_links(&links(&[("A", "B"), ("C", "D"), ("B", "A")]));
        assert_eq!(g.linked_groups().len(), 2);
        assert_ne!(g.key_of("A"), g.key_of("C"));
    }
}
