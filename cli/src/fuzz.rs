//! `pinlab export --fuzz N --seed S --out DIR`: seeded random scripts in the exportable subset,
//! each written as `fz-S-I.pin` with its `.c` (observing every page after every operation), for
//! the differential run of the model against Linux 6.1 (`make kernel-fuzz`, docs/fidelity.md).
//! The same seed gives the same scripts on every machine.

use std::fmt::Write as _;
use std::path::Path;

use crate::Usage;

/// xorshift64*: small, seedable, the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
    fn chance(&mut self, one_in: u32) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u32) as usize]
    }
}

struct Vma {
    name: &'static str,
    pages: u32,
}

/// Pages in a range written as `N` or `A..B`.
fn range_len(range: &str) -> u32 {
    match range.split_once("..") {
        Some((a, b)) => b.parse::<u32>().unwrap_or(1) - a.parse::<u32>().unwrap_or(0),
        None => 1,
    }
}

/// One random script in the exportable subset.
pub fn random_script(seed: u64) -> String {
    let mut r = Rng::new(seed);
    let mut s = format!("# fz-{seed}: a random script (pinlab export --fuzz)\nkernel 6.1\n");
    let fpages = 2 + r.below(3);
    let fs = r.pick(&["ext4", "tmpfs"]);
    let _ = writeln!(s, "file F {fs} pages={fpages}");
    let _ = writeln!(
        s,
        "mmap f F {} {}",
        r.pick(&["shared", "private"]),
        r.pick(&["rw", "rw", "ro"])
    );
    let apages = 1 + r.below(4);
    let _ = writeln!(
        s,
        "mmap a anon pages={apages} {}",
        r.pick(&["rw", "rw", "ro"])
    );
    let mut vmas = vec![
        Vma {
            name: "f",
            pages: fpages,
        },
        Vma {
            name: "a",
            pages: apages,
        },
    ];
    if r.chance(4) {
        s.push_str("mmap h anon pages=512 rw huge\n");
        vmas.push(Vma {
            name: "h",
            pages: 512,
        });
    }
    let (mut pin, mut pipes, mut child) = (false, Vec::new(), 0u8); // child: 0 none, 1 live, 2 gone
                                                                    // io_uring buffers (`gup qN V RANGE longterm write` on anon or tmpfs): (name, pages)
    let mut rings: Vec<(String, u32)> = Vec::new();
    let mut next_ring = 0;
    let ring_ok = |v: &str| v != "f" || fs == "tmpfs";
    let mut next_pipe = 0;
    for _ in 0..4 + r.below(9) {
        if vmas.is_empty() {
            break;
        }
        let v = &vmas[r.below(vmas.len() as u32) as usize];
        let range = {
            // huge VMAs: a few pages at the start, or all of it
            let span = v.pages.min(4);
            let a = r.below(span);
            let b = a + 1 + r.below(span - a);
            if v.pages > 4 && r.chance(3) {
                "all".to_string()
            } else if b == a + 1 {
                a.to_string()
            } else {
                format!("{a}..{b}")
            }
        };
        let (vn, vp) = (v.name, v.pages);
        let line = match r.below(18) {
            0..=2 => format!("write {vn} {range}"),
            3 | 4 => format!("read {vn} {range}"),
            5 | 6 if !pin => {
                pin = true;
                format!(
                    "gup p {vn} {range} longterm{}{}",
                    if r.chance(2) { " write" } else { "" },
                    if r.chance(3) { " fast" } else { "" }
                )
            }
            5 | 6 => {
                pin = false;
                "put p".to_string()
            }
            7 if r.chance(2) && ring_ok(vn) => {
                next_ring += 1;
                let n = if range == "all" {
                    vp
                } else {
                    range_len(&range)
                };
                rings.push((format!("q{next_ring}"), n));
                format!("gup q{next_ring} {vn} {range} longterm write")
            }
            17 => format!("migrate {vn} {range}"),
            16 if !rings.is_empty() => {
                let (name, n) = rings[r.below(rings.len() as u32) as usize].clone();
                format!("dma {name} {} {}", r.pick(&["write", "read"]), r.below(n))
            }
            7 => {
                next_pipe += 1;
                pipes.push(next_pipe);
                format!("vmsplice s{next_pipe} {vn} {}", r.below(vp.min(4)))
            }
            8 if child == 0 => {
                child = 1;
                "fork c".to_string()
            }
            8 | 9 if child == 1 => {
                if r.chance(5) {
                    child = 2;
                    "c: exit".to_string()
                } else {
                    format!("c: {} {vn} {range}", r.pick(&["write", "write", "read"]))
                }
            }
            10 => format!("mprotect {vn} {}", r.pick(&["ro", "rw"])),
            // MADV_PAGEOUT leaves pages mapped by a child too alone: no reclaim after fork
            // (and MADV_PAGEOUT of part of a THP splits it: whole huge VMAs only)
            11 if child == 0 && (vp <= 4 || range == "all") => format!("reclaim {vn} {range}"),
            12 => format!("truncate F {}", r.below(fpages + 1)),
            13 => format!("punch F {}", r.below(fpages)),
            14 => r
                .pick(&["writeback F", "writeback F sync", "sync"])
                .to_string(),
            15 if r.chance(3) && vn != "f" => {
                vmas.retain(|x| x.name != vn);
                format!("munmap {vn}")
            }
            _ => format!("write {vn} {range}"),
        };
        s.push_str(&line);
        s.push('\n');
    }
    if pin {
        s.push_str("put p\n");
    }
    for (q, _) in rings {
        let _ = writeln!(s, "put {q}");
    }
    for p in pipes {
        let _ = writeln!(s, "put s{p}");
    }
    s
}

/// Writes `count` scripts from `seed` on into `out`: `fz-SEED.pin` and `fz-SEED.c`.
pub fn write_scripts(count: u64, seed: u64, out: &Path) -> Result<u8, Usage> {
    std::fs::create_dir_all(out)
        .map_err(|e| Usage(format!("cannot create `{}`: {e}", out.display())))?;
    for s in seed..seed + count {
        let text = random_script(s);
        let parse = mm_model::parse(&text);
        if parse.has_errors() {
            return Err(Usage(format!(
                "generator bug: fz-{s} does not parse: {:?}\n{text}",
                parse.diagnostics.first()
            )));
        }
        let name = format!("fz-{s}");
        let c = mm_model::export::to_c_observing_all(&parse.script, &name).map_err(|e| {
            Usage(format!(
                "generator bug: fz-{s} is not exportable: {e:?}\n{text}"
            ))
        })?;
        let write = |ext: &str, body: &str| {
            let p = out.join(format!("{name}.{ext}"));
            std::fs::write(&p, body)
                .map_err(|e| Usage(format!("cannot write `{}`: {e}", p.display())))
        };
        write("pin", &format!("{text}# kernel-check: scheme=refcount\n"))?;
        write("c", &c)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every generated script parses, exports, and the same seed gives the same script.
    #[test]
    fn scripts_parse_export_and_repeat() {
        for seed in 0..500 {
            let text = random_script(seed);
            assert_eq!(text, random_script(seed));
            let parse = mm_model::parse(&text);
            assert!(!parse.has_errors(), "{:?}\n{text}", parse.diagnostics);
            let name = format!("fz-{seed}");
            if let Err(e) = mm_model::export::to_c_observing_all(&parse.script, &name) {
                panic!("{e:?}\n{text}");
            }
        }
    }
}
