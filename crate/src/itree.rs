//! An augmented interval tree over closed page-offset intervals `[start, last]`, the model of the
//! kernel's `i_mmap` (`vma_interval_tree`) and anon_vma trees.
//!
//! The kernel keys each VMA by `[vm_pgoff, vm_pgoff + vma_pages - 1]` in an augmented rbtree whose
//! nodes carry `rb_subtree_last`, the largest `last` in the subtree; an overlap query prunes every
//! subtree whose `rb_subtree_last` is below the query start and every right subtree of a node that
//! starts after the query's last page. This module does the same with an AVL tree:
//!
//! * entries are ordered by `(start, last, key)`; equal entries may repeat (a multiset);
//! * nodes live in a `Vec` arena addressed by index, with a free list for removed slots (no
//!   `unsafe`, no `Rc`/`RefCell`); recursion depth is bounded by the AVL height, `O(log n)`;
//! * each node stores `max_last` of its subtree (the kernel's `rb_subtree_last`);
//! * every operation reports the number of nodes it visited, for the `itree-node` cost;
//! * [`PartialEq`], [`Eq`], [`Hash`], [`Debug`](std::fmt::Debug) and [`Serialize`] are
//!   **canonical**: they see only the in-order sequence of entries, never the tree's shape or the
//!   arena layout, so two trees holding the same multiset compare and hash equal whatever the
//!   order of the insertions and removals that built them.
//!
//! An entry `[s, l]` overlaps the query `[start, last]` iff `s <= last && l >= start`.
//!
//! ```
//! use mm_model::itree::IntervalTree;
//!
//! let mut t = IntervalTree::new();
//! t.insert(0, 9, "a");
//! t.insert(5, 5, "b");
//! t.insert(20, 29, "c");
//! let (hits, _visited) = t.overlapping(4, 12);
//! assert_eq!(hits, vec![(0, 9, "a"), (5, 5, "b")]);
//! assert!(t.remove(5, 5, "b").is_some());
//! assert!(t.remove(5, 5, "b").is_none());
//! assert_eq!(t.len(), 2);
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One arena slot.
#[derive(Clone)]
struct Node<K> {
    start: u64,
    last: u64,
    key: K,
    /// Largest `last` in this node's subtree (the kernel's `rb_subtree_last`).
    max_last: u64,
    /// Height of this node's subtree, counted in nodes (a leaf has height 1).
    height: u32,
    left: Option<usize>,
    right: Option<usize>,
}

/// An augmented AVL interval tree over closed intervals `[start, last]` tagged with a key.
///
/// Equality, hashing, `Debug` and serialization are defined by the in-order entry sequence only.
#[derive(Clone)]
pub struct IntervalTree<K> {
    nodes: Vec<Node<K>>,
    /// Arena slots released by removals, reused by later insertions.
    free: Vec<usize>,
    root: Option<usize>,
    len: usize,
}

impl<K> Default for IntervalTree<K> {
    fn default() -> Self {
        IntervalTree {
            nodes: Vec::new(),
            free: Vec::new(),
            root: None,
            len: 0,
        }
    }
}

impl<K: Copy + Ord + Hash + fmt::Debug> IntervalTree<K> {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts `[start, last]` for `key`. Duplicates (same start, last and key) are allowed: the
    /// tree is a multiset. Returns the number of nodes visited or touched: the nodes on the descent
    /// path, the new node, and one per rotation while rebalancing (for cost accounting).
    pub fn insert(&mut self, start: u64, last: u64, key: K) -> u32 {
        let new = self.alloc(start, last, key);
        let mut cost = 0u32;
        let root = self.insert_at(self.root, new, &mut cost);
        self.root = Some(root);
        self.len += 1;
        cost
    }

    /// Removes one entry equal to `(start, last, key)`. Returns `Some(nodes visited)` (descent,
    /// successor search and rotations), or `None` if there is no such entry (the tree is then
    /// unchanged).
    pub fn remove(&mut self, start: u64, last: u64, key: K) -> Option<u32> {
        let mut cost = 0u32;
        let (root, found) = self.remove_at(self.root, (start, last, key), &mut cost);
        if !found {
            return None;
        }
        self.root = root;
        self.len -= 1;
        if self.len == 0 {
            // Drop the arena's garbage entirely once nothing is left.
            self.nodes.clear();
            self.free.clear();
            self.root = None;
        }
        Some(cost)
    }

    /// All entries overlapping `[start, last]` (`entry.start <= last && entry.last >= start`), in
    /// ascending `(start, last, key)` order, with the number of nodes visited.
    ///
    /// Subtrees whose `max_last < start` are pruned, and so is the right subtree of any node that
    /// starts after `last`, so a query visits at most `(k + 1) · height + 1` nodes for `k` hits.
    pub fn overlapping(&self, start: u64, last: u64) -> (Vec<(u64, u64, K)>, u32) {
        let mut out = Vec::new();
        let mut cost = 0u32;
        if let Some(root) = self.root {
            if self.nodes[root].max_last >= start {
                self.collect(root, start, last, &mut out, &mut cost);
            } else {
                cost = 1;
            }
        }
        (out, cost)
    }

    /// The entries in order: ascending `(start, last, key)`, duplicates repeated.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, K)> + '_ {
        let mut it = Iter {
            tree: self,
            stack: Vec::new(),
        };
        it.push_left_spine(self.root);
        it
    }

    /// Number of entries (duplicates counted).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Tree height in nodes (0 when empty, 1 for a single entry), for display and tests.
    pub fn height(&self) -> u32 {
        self.height_of(self.root)
    }

    // ----- internals -----

    fn entry(&self, i: usize) -> (u64, u64, K) {
        let n = &self.nodes[i];
        (n.start, n.last, n.key)
    }

    fn alloc(&mut self, start: u64, last: u64, key: K) -> usize {
        let node = Node {
            start,
            last,
            key,
            max_last: last,
            height: 1,
            left: None,
            right: None,
        };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    fn height_of(&self, n: Option<usize>) -> u32 {
        n.map_or(0, |i| self.nodes[i].height)
    }

    /// Recomputes `height` and `max_last` of node `i` from its children.
    fn update(&mut self, i: usize) {
        let (left, right) = (self.nodes[i].left, self.nodes[i].right);
        let mut max_last = self.nodes[i].last;
        let mut height = 0;
        for c in [left, right].into_iter().flatten() {
            max_last = max_last.max(self.nodes[c].max_last);
            height = height.max(self.nodes[c].height);
        }
        let n = &mut self.nodes[i];
        n.max_last = max_last;
        n.height = height + 1;
    }

    fn rotate_right(&mut self, i: usize) -> usize {
        let Some(l) = self.nodes[i].left else {
            return i;
        };
        self.nodes[i].left = self.nodes[l].right;
        self.nodes[l].right = Some(i);
        self.update(i);
        self.update(l);
        l
    }

    fn rotate_left(&mut self, i: usize) -> usize {
        let Some(r) = self.nodes[i].right else {
            return i;
        };
        self.nodes[i].right = self.nodes[r].left;
        self.nodes[r].left = Some(i);
        self.update(i);
        self.update(r);
        r
    }

    /// Restores the AVL balance at `i` (children already balanced), returning the subtree's new
    /// root; charges one unit per rotation.
    fn rebalance(&mut self, i: usize, cost: &mut u32) -> usize {
        self.update(i);
        let (left, right) = (self.nodes[i].left, self.nodes[i].right);
        let (hl, hr) = (self.height_of(left), self.height_of(right));
        if hl > hr + 1 {
            if let Some(l) = left {
                if self.height_of(self.nodes[l].left) < self.height_of(self.nodes[l].right) {
                    let nl = self.rotate_left(l);
                    self.nodes[i].left = Some(nl);
                    *cost = cost.saturating_add(1);
                }
            }
            *cost = cost.saturating_add(1);
            self.rotate_right(i)
        } else if hr > hl + 1 {
            if let Some(r) = right {
                if self.height_of(self.nodes[r].right) < self.height_of(self.nodes[r].left) {
                    let nr = self.rotate_right(r);
                    self.nodes[i].right = Some(nr);
                    *cost = cost.saturating_add(1);
                }
            }
            *cost = cost.saturating_add(1);
            self.rotate_left(i)
        } else {
            i
        }
    }

    fn insert_at(&mut self, at: Option<usize>, new: usize, cost: &mut u32) -> usize {
        *cost = cost.saturating_add(1);
        let Some(i) = at else {
            return new;
        };
        if self.entry(new) < self.entry(i) {
            let l = self.insert_at(self.nodes[i].left, new, cost);
            self.nodes[i].left = Some(l);
        } else {
            let r = self.insert_at(self.nodes[i].right, new, cost);
            self.nodes[i].right = Some(r);
        }
        self.rebalance(i, cost)
    }

    /// Removes one entry equal to `target` from the subtree at `at`; returns the subtree's new
    /// root and whether an entry was removed.
    fn remove_at(
        &mut self,
        at: Option<usize>,
        target: (u64, u64, K),
        cost: &mut u32,
    ) -> (Option<usize>, bool) {
        let Some(i) = at else {
            return (None, false);
        };
        *cost = cost.saturating_add(1);
        match target.cmp(&self.entry(i)) {
            Ordering::Less => {
                let (l, found) = self.remove_at(self.nodes[i].left, target, cost);
                if !found {
                    return (Some(i), false);
                }
                self.nodes[i].left = l;
                (Some(self.rebalance(i, cost)), true)
            }
            Ordering::Greater => {
                let (r, found) = self.remove_at(self.nodes[i].right, target, cost);
                if !found {
                    return (Some(i), false);
                }
                self.nodes[i].right = r;
                (Some(self.rebalance(i, cost)), true)
            }
            Ordering::Equal => match (self.nodes[i].left, self.nodes[i].right) {
                (None, child) | (child, None) => {
                    self.free.push(i);
                    (child, true)
                }
                (Some(_), Some(r)) => {
                    // Replace this node's entry by its in-order successor's, then drop the
                    // successor's slot.
                    let (nr, succ) = self.remove_min(r, cost);
                    let (s, l, k) = self.entry(succ);
                    self.free.push(succ);
                    let n = &mut self.nodes[i];
                    n.start = s;
                    n.last = l;
                    n.key = k;
                    n.right = nr;
                    (Some(self.rebalance(i, cost)), true)
                }
            },
        }
    }

    /// Detaches the minimum node of the subtree at `i`; returns the subtree's new root and the
    /// detached node's index (still holding its entry).
    fn remove_min(&mut self, i: usize, cost: &mut u32) -> (Option<usize>, usize) {
        *cost = cost.saturating_add(1);
        match self.nodes[i].left {
            None => (self.nodes[i].right, i),
            Some(l) => {
                let (nl, min) = self.remove_min(l, cost);
                self.nodes[i].left = nl;
                (Some(self.rebalance(i, cost)), min)
            }
        }
    }

    /// Collects the overlaps in the subtree at `i`, whose `max_last >= start` is already known.
    fn collect(
        &self,
        i: usize,
        start: u64,
        last: u64,
        out: &mut Vec<(u64, u64, K)>,
        cost: &mut u32,
    ) {
        *cost = cost.saturating_add(1);
        let n = &self.nodes[i];
        if let Some(l) = n.left {
            if self.nodes[l].max_last >= start {
                self.collect(l, start, last, out, cost);
            }
        }
        if n.start > last {
            // This node and its whole right subtree start after the query.
            return;
        }
        if n.last >= start {
            out.push((n.start, n.last, n.key));
        }
        if let Some(r) = n.right {
            if self.nodes[r].max_last >= start {
                self.collect(r, start, last, out, cost);
            }
        }
    }
}

/// In-order iterator with an explicit stack (depth bounded by the tree height).
struct Iter<'a, K> {
    tree: &'a IntervalTree<K>,
    stack: Vec<usize>,
}

impl<K> Iter<'_, K> {
    fn push_left_spine(&mut self, mut at: Option<usize>) {
        while let Some(i) = at {
            self.stack.push(i);
            at = self.tree.nodes[i].left;
        }
    }
}

impl<K: Copy> Iterator for Iter<'_, K> {
    type Item = (u64, u64, K);

    fn next(&mut self) -> Option<Self::Item> {
        let i = self.stack.pop()?;
        let n = &self.tree.nodes[i];
        let item = (n.start, n.last, n.key);
        self.push_left_spine(n.right);
        Some(item)
    }
}

impl<K: Copy + Ord + Hash + fmt::Debug> PartialEq for IntervalTree<K> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: Copy + Ord + Hash + fmt::Debug> Eq for IntervalTree<K> {}

impl<K: Copy + Ord + Hash + fmt::Debug> Hash for IntervalTree<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len);
        for entry in self.iter() {
            entry.hash(state);
        }
    }
}

impl<K: Copy + Ord + Hash + fmt::Debug> fmt::Debug for IntervalTree<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntervalTree ")?;
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The serialized form of one entry.
#[derive(Serialize, Deserialize)]
struct EntryRef<K> {
    start: u64,
    last: u64,
    key: K,
}

impl<K: Copy + Ord + Hash + fmt::Debug + Serialize> Serialize for IntervalTree<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.iter()
                .map(|(start, last, key)| EntryRef { start, last, key }),
        )
    }
}

/// Rebuilds the tree from its in-order entries (the shape may differ; equality is by content).
impl<'de, K: Copy + Ord + Hash + fmt::Debug + Deserialize<'de>> Deserialize<'de>
    for IntervalTree<K>
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Vec::<EntryRef<K>>::deserialize(d)?;
        let mut t = IntervalTree::new();
        for e in entries {
            t.insert(e.start, e.last, e.key);
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    type Entry = (u64, u64, u8);

    fn hash_of<T: Hash>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    /// Checks the BST order, AVL balance, stored heights, `max_last` augmentation, the entry
    /// count and the arena bookkeeping.
    fn check<K: Copy + Ord + Hash + fmt::Debug>(t: &IntervalTree<K>) -> Result<(), String> {
        fn walk<K: Copy + Ord + Hash + fmt::Debug>(
            t: &IntervalTree<K>,
            at: Option<usize>,
            seen: &mut Vec<bool>,
            count: &mut usize,
        ) -> Result<(u32, Option<u64>), String> {
            let Some(i) = at else {
                return Ok((0, None));
            };
            if i >= t.nodes.len() {
                return Err(format!("index {i} out of arena"));
            }
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("node {i} reachable twice"));
            }
            *count += 1;
            let n = &t.nodes[i];
            let (hl, ml) = walk(t, n.left, seen, count)?;
            let (hr, mr) = walk(t, n.right, seen, count)?;
            if hl.abs_diff(hr) > 1 {
                return Err(format!("node {i} unbalanced: {hl} vs {hr}"));
            }
            let h = hl.max(hr) + 1;
            if n.height != h {
                return Err(format!("node {i} height {} != {h}", n.height));
            }
            let m = [Some(n.last), ml, mr].into_iter().flatten().max();
            if Some(n.max_last) != m {
                return Err(format!("node {i} max_last {} != {m:?}", n.max_last));
            }
            Ok((h, m))
        }
        let mut seen = vec![false; t.nodes.len()];
        let mut count = 0;
        let (h, _) = walk(t, t.root, &mut seen, &mut count)?;
        if h != t.height() {
            return Err("height mismatch".into());
        }
        if count != t.len() {
            return Err(format!("{count} reachable nodes, len {}", t.len()));
        }
        for &f in &t.free {
            if f >= seen.len() || seen[f] {
                return Err(format!("free slot {f} is live or out of range"));
            }
            seen[f] = true;
        }
        if seen.iter().any(|s| !s) || t.nodes.len() != t.len() + t.free.len() {
            return Err("arena slot neither live nor free".into());
        }
        let entries: Vec<_> = t.iter().collect();
        if entries.len() != t.len() || entries.windows(2).any(|w| w[0] > w[1]) {
            return Err("in-order sequence not sorted".into());
        }
        Ok(())
    }

    fn height_bound(n: usize) -> f64 {
        1.45 * ((n + 2) as f64).log2() + 2.0
    }

    fn naive_overlaps(model: &[Entry], start: u64, last: u64) -> Vec<Entry> {
        let mut v: Vec<Entry> = model
            .iter()
            .copied()
            .filter(|&(s, l, _)| s <= last && l >= start)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn empty_tree() {
        let mut t: IntervalTree<u32> = IntervalTree::new();
        assert!(t.is_empty());
        assert_eq!(t.len(), 0);
        assert_eq!(t.height(), 0);
        assert_eq!(t.overlapping(0, u64::MAX), (vec![], 0));
        assert_eq!(t.remove(1, 2, 3), None);
        assert_eq!(t.iter().count(), 0);
        assert_eq!(t, IntervalTree::default());
        check(&t).unwrap();
    }

    #[test]
    fn insert_query_remove() {
        let mut t = IntervalTree::new();
        // Three VMAs of one file: pages 0-9, 5-5, 20-29; plus a duplicate mapping of 0-9.
        for (s, l, k) in [(0, 9, 1u32), (5, 5, 2), (20, 29, 3), (0, 9, 1)] {
            assert!(t.insert(s, l, k) >= 1);
            check(&t).unwrap();
        }
        assert_eq!(t.len(), 4);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            vec![(0, 9, 1), (0, 9, 1), (5, 5, 2), (20, 29, 3)]
        );
        assert_eq!(t.overlapping(5, 5).0, vec![(0, 9, 1), (0, 9, 1), (5, 5, 2)]);
        assert_eq!(t.overlapping(10, 19).0, vec![]);
        assert_eq!(
            t.overlapping(9, 20).0,
            vec![(0, 9, 1), (0, 9, 1), (20, 29, 3)]
        );
        assert_eq!(t.overlapping(30, u64::MAX).0, vec![]);
        assert_eq!(t.overlapping(0, u64::MAX).0.len(), 4);

        assert!(t.remove(0, 9, 1).is_some());
        check(&t).unwrap();
        assert_eq!(t.overlapping(0, 0).0, vec![(0, 9, 1)]);
        assert_eq!(t.remove(0, 9, 7), None, "wrong key");
        assert_eq!(t.remove(0, 8, 1), None, "wrong last");
        assert!(t.remove(0, 9, 1).is_some());
        assert_eq!(t.remove(0, 9, 1), None, "no third copy");
        assert!(t.remove(20, 29, 3).is_some());
        assert!(t.remove(5, 5, 2).is_some());
        assert!(t.is_empty());
        assert!(
            t.nodes.is_empty() && t.free.is_empty(),
            "arena dropped when empty"
        );
        check(&t).unwrap();
    }

    #[test]
    fn extreme_values_and_inverted_intervals() {
        let mut t = IntervalTree::new();
        t.insert(u64::MAX, u64::MAX, 0u8);
        t.insert(0, u64::MAX, 1);
        t.insert(7, 3, 2); // inverted: treated by the overlap formula, never a panic
        check(&t).unwrap();
        assert_eq!(
            t.overlapping(u64::MAX, u64::MAX).0,
            vec![(0, u64::MAX, 1), (u64::MAX, u64::MAX, 0)]
        );
        assert_eq!(t.overlapping(5, 5).0, vec![(0, u64::MAX, 1)]);
        assert_eq!(t.overlapping(3, 7).0, vec![(0, u64::MAX, 1), (7, 3, 2)]);
        assert_eq!(
            t.overlapping(9, 1).0,
            naive_overlaps(&t.iter().collect::<Vec<_>>(), 9, 1)
        );
    }

    #[test]
    fn sequential_inserts_stay_balanced_and_queries_are_logarithmic() {
        let mut t = IntervalTree::new();
        let n = 4096u64;
        for i in 0..n {
            let c = t.insert(i * 10, i * 10 + 4, i as u32);
            assert!(c <= 2 * t.height() + 3, "insert cost {c}");
        }
        check(&t).unwrap();
        let h = t.height();
        assert!(f64::from(h) <= height_bound(n as usize), "height {h}");
        let (hits, visited) = t.overlapping(20_000, 20_002);
        assert_eq!(hits, vec![(20_000, 20_004, 2000)]);
        assert!(visited <= 2 * (h + 1), "visited {visited} of {n}");
        let (hits, visited) = t.overlapping(20_005, 20_009);
        assert!(hits.is_empty());
        assert!(visited <= h + 1, "visited {visited} for a miss");
        for i in (0..n).rev() {
            assert!(t.remove(i * 10, i * 10 + 4, i as u32).is_some());
            if i % 512 == 0 {
                check(&t).unwrap();
            }
        }
        assert!(t.is_empty());
    }

    #[test]
    fn equality_and_hash_are_canonical() {
        let entries = [
            (0, 3, 'a'),
            (2, 2, 'b'),
            (2, 2, 'b'),
            (8, 12, 'c'),
            (1, 30, 'd'),
        ];
        let mut a = IntervalTree::new();
        for &(s, l, k) in &entries {
            a.insert(s, l, k);
        }
        let mut b = IntervalTree::new();
        // Different order, plus insert/remove churn that leaves free slots behind.
        b.insert(100, 200, 'z');
        b.insert(50, 60, 'y');
        for &(s, l, k) in entries.iter().rev() {
            b.insert(s, l, k);
        }
        b.remove(100, 200, 'z').unwrap();
        b.remove(50, 60, 'y').unwrap();
        assert!(!b.free.is_empty());
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        b.remove(2, 2, 'b').unwrap();
        assert_ne!(a, b);
        // A clone is equal.
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn serializes_as_in_order_entries() {
        let mut t = IntervalTree::new();
        t.insert(4, 7, 2u32);
        t.insert(0, 1, 9);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"[{"start":0,"last":1,"key":9},{"start":4,"last":7,"key":2}]"#
        );
        assert_eq!(format!("{t:?}"), "IntervalTree [(0, 1, 9), (4, 7, 2)]");
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u64, u64, u8),
        /// Remove an entry that is present (chosen by index), if any.
        RemovePresent(prop::sample::Index),
        /// Remove an arbitrary (probably absent) entry.
        RemoveAny(u64, u64, u8),
        Query(u64, u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..64, 0u64..16, 0u8..4).prop_map(|(s, w, k)| Op::Insert(s, s + w, k)),
            2 => any::<prop::sample::Index>().prop_map(Op::RemovePresent),
            1 => (0u64..64, 0u64..16, 0u8..4).prop_map(|(s, w, k)| Op::RemoveAny(s, s + w, k)),
            3 => (0u64..80, 0u64..24).prop_map(|(s, w)| Op::Query(s, s + w)),
            1 => (0u64..80, 0u64..80).prop_map(|(s, l)| Op::Query(s, l)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_naive_model(ops in prop::collection::vec(op(), 0..300)) {
            let mut t: IntervalTree<u8> = IntervalTree::new();
            let mut model: Vec<Entry> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(s, l, k) => {
                        let c = t.insert(s, l, k);
                        model.push((s, l, k));
                        prop_assert!(c >= 1);
                    }
                    Op::RemovePresent(idx) => {
                        if model.is_empty() {
                            continue;
                        }
                        let (s, l, k) = model.swap_remove(idx.index(model.len()));
                        prop_assert!(t.remove(s, l, k).is_some());
                    }
                    Op::RemoveAny(s, l, k) => {
                        let pos = model.iter().position(|&e| e == (s, l, k));
                        let got = t.remove(s, l, k);
                        prop_assert_eq!(got.is_some(), pos.is_some());
                        if let Some(p) = pos {
                            model.swap_remove(p);
                        }
                    }
                    Op::Query(s, l) => {
                        let (hits, visited) = t.overlapping(s, l);
                        prop_assert_eq!(&hits, &naive_overlaps(&model, s, l));
                        let bound = (hits.len() as u32 + 1) * (t.height() + 1);
                        prop_assert!(visited <= bound, "visited {} > {}", visited, bound);
                    }
                }
                prop_assert_eq!(t.len(), model.len());
                prop_assert_eq!(t.is_empty(), model.is_empty());
                if let Err(e) = check(&t) {
                    return Err(TestCaseError::fail(e));
                }
                prop_assert!(f64::from(t.height()) <= height_bound(t.len()));
            }
            let mut sorted = model.clone();
            sorted.sort();
            prop_assert_eq!(t.iter().collect::<Vec<_>>(), sorted.clone());

            // Canonical equality: the same multiset built in other orders (sorted, reversed,
            // interleaved) with a fresh arena.
            let mut fwd = IntervalTree::new();
            for &(s, l, k) in &sorted {
                fwd.insert(s, l, k);
            }
            let mut rev = IntervalTree::new();
            for &(s, l, k) in sorted.iter().rev() {
                rev.insert(s, l, k);
            }
            let mut mixed = IntervalTree::new();
            for &(s, l, k) in sorted.iter().step_by(2).chain(sorted.iter().skip(1).step_by(2)) {
                mixed.insert(s, l, k);
            }
            for other in [&fwd, &rev, &mixed] {
                prop_assert_eq!(&t, other);
                prop_assert_eq!(hash_of(&t), hash_of(other));
            }
            if let Some(&(s, l, k)) = sorted.first() {
                fwd.remove(s, l, k);
                prop_assert_ne!(&t, &fwd);
            }
        }
    }
}
