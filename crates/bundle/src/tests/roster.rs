//! Who a roster makes the team: trust spreads from the admin only through
//! signed enrolments, a device id under two keys counts under neither,
//! revocations are decided over the whole set, and any order of the same
//! entries — on any laptop — gives the same team.

use std::collections::BTreeSet;

use proptest::prelude::*;

use crate::roster::{trust, Admin, RosterEntry, Trust};
use crate::team::Member;
use crate::DeviceKey;

const P: &str = "project";

fn key(i: u8) -> DeviceKey {
    DeviceKey::from_bytes(&[i + 1; 32])
}

fn actor(i: u8) -> String {
    format!("d{i}")
}

/// Device `i` under its own key, or (`impostor`) under someone else's.
fn member(i: u8, impostor: bool) -> Member {
    let k = if impostor { key(100 + i) } else { key(i) };
    Member::new(&actor(i), &k, &actor(i))
}

fn enrol(signer: u8, device: u8) -> RosterEntry {
    RosterEntry::sign(
        P,
        &member(device, false),
        false,
        &actor(signer),
        &key(signer),
    )
}

fn revoke(signer: u8, device: u8) -> RosterEntry {
    RosterEntry::sign(
        P,
        &member(device, false),
        true,
        &actor(signer),
        &key(signer),
    )
}

fn admin() -> Admin {
    Admin {
        actor: actor(0),
        key: key(0).public(),
    }
}

fn team(roster: &[RosterEntry]) -> Trust {
    trust(P, &admin(), roster)
}

fn active(t: &Trust) -> BTreeSet<String> {
    t.active.keys().cloned().collect()
}

fn names(ids: &[u8]) -> BTreeSet<String> {
    ids.iter().map(|&i| actor(i)).collect()
}

#[test]
fn trust_spreads_from_the_admin_and_cannot_be_forged() {
    let self_signed = RosterEntry::sign(P, &member(9, false), false, &actor(9), &key(9));
    let mut forged = enrol(0, 1);
    forged.device.public_key = key(9).public();
    // Listed backwards: d2 is found through d1 all the same.
    let roster = [enrol(1, 2), self_signed, forged, enrol(0, 1)];
    let t = team(&roster);
    assert_eq!(active(&t), names(&[0, 1, 2]));
    assert_eq!(t.accepted, vec![enrol(1, 2), enrol(0, 1)]);
    assert_eq!(t.active["d1"], key(1).public());
    // Another project's entries do not verify.
    assert_eq!(active(&trust("other", &admin(), &roster)), names(&[0]));
}

#[test]
fn a_device_id_vouched_for_under_two_keys_counts_under_neither() {
    // An impostor's join request reusing d1's id, enrolled by d2.
    let impostor = RosterEntry::sign(P, &member(1, true), false, &actor(2), &key(2));
    let t = team(&[enrol(0, 1), enrol(0, 2), impostor.clone()]);
    assert_eq!(active(&t), names(&[0, 2]));
    assert!(!t.accepted.contains(&impostor));
    // Nor can anyone claim the admin's id.
    let fake_admin = RosterEntry::sign(P, &member(0, true), false, &actor(1), &key(1));
    let t = team(&[enrol(0, 1), fake_admin]);
    assert_eq!(t.active["d0"], key(0).public());
}

#[test]
fn only_the_enroller_or_the_admin_may_revoke_and_no_one_the_admin() {
    let base = [enrol(0, 1), enrol(0, 2), enrol(1, 3)];
    let with = |extra: &[RosterEntry]| team(&[&base[..], extra].concat());
    // d2 did not enrol d3; d1 did, and the admin may revoke anyone.
    assert!(with(&[revoke(2, 3)]).revoked.is_empty());
    assert_eq!(with(&[revoke(1, 3)]).revoked, names(&[3]));
    assert_eq!(with(&[revoke(0, 3)]).revoked, names(&[3]));
    assert!(with(&[revoke(1, 0), revoke(2, 0)]).revoked.is_empty());
    // An outsider who enrols itself and d1 cannot revoke d1.
    let outsider = [
        RosterEntry::sign(P, &member(7, false), false, &actor(7), &key(7)),
        enrol(7, 1),
        revoke(7, 1),
    ];
    assert!(with(&outsider).revoked.is_empty());
}

#[test]
fn what_a_revoked_device_enrolled_is_not_trusted_in_any_order() {
    // d1 enrols d3, then the admin revokes d1: d3 is vouched for by no one
    // trusted, whichever entry a laptop saw first.
    let roster = [enrol(0, 1), enrol(1, 3), revoke(0, 1)];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let t = team(&order.map(|i| roster[i].clone()));
        assert_eq!(active(&t), names(&[0]), "{order:?}");
        assert_eq!(t.revoked, names(&[1]));
    }
    // Enrolled again by someone still trusted, d3 is back.
    let t = team(&[&roster[..], &[enrol(0, 3)]].concat());
    assert_eq!(active(&t), names(&[0, 3]));
}

#[test]
fn two_devices_that_enrolled_each_other_and_revoke_each_other_are_both_revoked() {
    let roster = [
        enrol(0, 1),
        enrol(0, 2),
        enrol(1, 2),
        enrol(2, 1),
        revoke(1, 2),
        revoke(2, 1),
    ];
    let forwards = team(&roster);
    let mut backwards = roster.clone();
    backwards.reverse();
    assert_eq!(forwards.revoked, names(&[1, 2]));
    assert_eq!(active(&forwards), names(&[0]));
    assert_eq!(active(&team(&backwards)), names(&[0]));
    assert_eq!(team(&backwards).revoked, forwards.revoked);
}

#[derive(Debug, Clone)]
enum Entry {
    Enrol {
        signer: u8,
        device: u8,
        impostor: bool,
    },
    Revoke {
        signer: u8,
        device: u8,
    },
    /// Signed with a key that is not the signer's.
    Forged {
        signer: u8,
        device: u8,
    },
}

impl Entry {
    fn entry(&self) -> RosterEntry {
        match *self {
            Entry::Enrol {
                signer,
                device,
                impostor,
            } => RosterEntry::sign(
                P,
                &member(device, impostor),
                false,
                &actor(signer),
                &key(signer),
            ),
            Entry::Revoke { signer, device } => revoke(signer, device),
            Entry::Forged { signer, device } => {
                RosterEntry::sign(P, &member(device, false), false, &actor(signer), &key(50))
            }
        }
    }
}

fn arb_entry(devices: u8) -> impl Strategy<Value = Entry> {
    let d = 0..devices;
    prop_oneof![
        4 => (d.clone(), d.clone(), prop::bool::weighted(0.15))
            .prop_map(|(signer, device, impostor)| Entry::Enrol { signer, device, impostor }),
        2 => (d.clone(), d.clone()).prop_map(|(signer, device)| Entry::Revoke { signer, device }),
        1 => (d.clone(), d).prop_map(|(signer, device)| Entry::Forged { signer, device }),
    ]
}

/// A team of 2–7 devices, each but the admin enrolled by an earlier one
/// (a random tree), then up to 24 random entries; and laptops that each
/// start with some of the entries and pass rosters around in a random order.
/// Every entry, the laptops that hold each one at first, and who sends to
/// whom.
type Gossip = (Vec<RosterEntry>, Vec<Vec<usize>>, Vec<(usize, usize)>);

fn arb_team() -> impl Strategy<Value = Gossip> {
    (2u8..8).prop_flat_map(|n| {
        let tree = (1..n)
            .map(|i| (0..i).prop_map(move |p| enrol(p, i)))
            .collect::<Vec<_>>();
        let extra = prop::collection::vec(arb_entry(n).prop_map(|e| e.entry()), 0..24);
        (tree, extra).prop_flat_map(move |(tree, extra)| {
            let all: Vec<RosterEntry> = tree.into_iter().chain(extra).collect();
            let len = all.len();
            let laptops = usize::from(n);
            let holders =
                prop::collection::vec(prop::collection::vec(0..laptops, 1..=laptops.min(3)), len);
            let gossip = prop::collection::vec((0..laptops, 0..laptops), 0..40);
            (Just(all), holders, gossip)
        })
    })
}

/// What holds whatever the entries' order: the team itself, and its rules.
fn check_rules(t: &Trust, roster: &[RosterEntry]) -> Result<(), TestCaseError> {
    prop_assert!(t.active.contains_key("d0") && !t.revoked.contains("d0"));
    for a in t.active.keys() {
        prop_assert!(!t.revoked.contains(a));
    }
    for e in &t.accepted {
        if e.revoked {
            let enroller = roster
                .iter()
                .any(|x| !x.revoked && x.signer == e.signer && x.device == e.device);
            prop_assert!(e.device.actor != "d0" && (e.signer == "d0" || enroller));
        } else {
            prop_assert!(
                t.active.contains_key(&e.signer) && t.active.contains_key(&e.device.actor)
            );
        }
    }
    Ok(())
}

fn canonical(t: &Trust) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    (
        active(t),
        t.revoked.clone(),
        t.accepted.iter().map(|e| e.sig.clone()).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Laptops that gossip their rosters (each keeping the union of what it
    /// holds and what it is sent) agree on the team once every entry has
    /// reached every laptop, and each laptop's view along the way is what
    /// any order of its entries gives.
    #[test]
    fn laptops_holding_the_same_entries_see_the_same_team(
        (all, holders, gossip) in arb_team(),
        seed in any::<u64>(),
    ) {
        let laptops = holders.iter().flatten().max().map_or(1, |m| m + 1).max(2);
        let mut rosters: Vec<Vec<RosterEntry>> = vec![Vec::new(); laptops];
        for (e, hs) in all.iter().zip(&holders) {
            for &h in hs {
                if !rosters[h].contains(e) {
                    rosters[h].push(e.clone());
                }
            }
        }
        let send = |rosters: &mut Vec<Vec<RosterEntry>>, from: usize, to: usize| {
            let sent = rosters[from].clone();
            for e in sent {
                if !rosters[to].contains(&e) {
                    rosters[to].push(e);
                }
            }
        };
        for &(from, to) in &gossip {
            send(&mut rosters, from % laptops, to % laptops);
            let t = team(&rosters[to % laptops]);
            check_rules(&t, &rosters[to % laptops])?;
            let mut shuffled = rosters[to % laptops].clone();
            let by = (seed as usize) % shuffled.len().max(1);
            shuffled.rotate_left(by);
            shuffled.reverse();
            prop_assert_eq!(canonical(&team(&shuffled)), canonical(&t));
        }
        // Everyone sends to everyone.
        for from in 0..laptops {
            for to in 0..laptops {
                send(&mut rosters, from, to);
            }
        }
        let full = team(&rosters[0]);
        let first = canonical(&full);
        for r in &rosters[1..] {
            prop_assert_eq!(&canonical(&team(r)), &first);
        }
        // With every genuine enrolment known, no impostor's key is trusted.
        for (a, k) in &full.active {
            let i: u8 = a[1..].parse().unwrap();
            prop_assert_eq!(*k, key(i).public());
        }
    }
}
