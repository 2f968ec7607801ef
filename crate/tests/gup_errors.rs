//! GUP error precedence, table-driven: which errno a GUP returns for a mapping kind, flags and
//! release. Argument validation (FOLL_LONGTERM without FOLL_PIN: -EINVAL from 6.1) comes before
//! any VMA check; then `check_vma_flags` in the kernel's order: fsdax + FOLL_LONGTERM
//! (-EOPNOTSUPP; from 5.11 here, before that after the GUP), the 6.5 refusal of a writable
//! long-term pin of a dirty-tracked file mapping, then !VM_WRITE (-EFAULT). The pinning schemes
//! (refcount, fake-vma) must agree: fake-vma runs the same checks in the same order.

use mm_model::{parse, KernelVersion, OpResult, Overrides, SchemeKind};

/// `release mapping flags -> result with FOLL_PIN, result with FOLL_GET`.
const TABLE: &str = "
4.19 anon-ro     write           EFAULT      EFAULT
4.19 anon-ro     -               ok          ok
6.0  anon-ro     write,longterm  EFAULT      EFAULT
6.1  anon-ro     write,longterm  EFAULT      EINVAL
6.1  anon-rw     longterm        ok          EINVAL
6.0  anon-rw     longterm        ok          ok
5.10 dax-ro      write,longterm  EFAULT      EFAULT
5.11 dax-ro      write,longterm  EOPNOTSUPP  EOPNOTSUPP
5.10 dax-rw      write,longterm  EOPNOTSUPP  EOPNOTSUPP
6.1  dax-ro      write,longterm  EOPNOTSUPP  EINVAL
6.5  dax-rw      longterm        EOPNOTSUPP  EINVAL
6.5  dax-rw      write           ok          ok
6.4  ext4-rw     write,longterm  ok          EINVAL
6.5  ext4-rw     write,longterm  EFAULT      EINVAL
6.5  ext4-rw     write,fast,longterm EFAULT  EINVAL
6.5  ext4-ro     write,longterm  EFAULT      EINVAL
6.5  ext4-rw     longterm        ok          EINVAL
6.5  ext4-rw     write           ok          ok
6.5  tmpfs-rw    write,longterm  ok          EINVAL
6.5  ext4-priv   write,longterm  ok          EINVAL
5.9  unmapped    longterm        EFAULT      EFAULT
6.1  unmapped    longterm        EFAULT      EINVAL
6.1  unmapped    write           EFAULT      EFAULT
";

fn script(mapping: &str, flags: &str) -> String {
    let decl = match mapping {
        "anon-ro" => "mmap m anon pages=1 ro",
        "anon-rw" | "unmapped" => "mmap m anon pages=1 rw",
        "dax-ro" => "file F dax pages=1\nmmap m F shared ro",
        "dax-rw" => "file F dax pages=1\nmmap m F shared rw",
        "ext4-ro" => "file F ext4 pages=1\nmmap m F shared ro",
        "ext4-rw" => "file F ext4 pages=1\nmmap m F shared rw",
        "ext4-priv" => "file F ext4 pages=1\nmmap m F private rw",
        "tmpfs-rw" => "file F tmpfs pages=1\nmmap m F shared rw",
        other => panic!("unknown mapping kind {other}"),
    };
    let unmap = if mapping == "unmapped" {
        "munmap m\n"
    } else {
        ""
    };
    let flags = flags.replace(['-', ','], " ");
    format!("{decl}\nread m\n{unmap}gup io m 0 {flags}\n")
}

fn result(text: &str, era: KernelVersion, scheme: SchemeKind) -> OpResult {
    let parse = parse(text);
    assert!(!parse.has_errors(), "{:?}\n{text}", parse.diagnostics);
    let o = Overrides {
        schemes: vec![scheme],
        era: Some(era),
        ..Overrides::default()
    };
    let report = mm_model::run(&parse.script, &o);
    let trace = &report.traces[0];
    trace
        .steps
        .iter()
        .rev()
        .find(|s| s.text.trim_start().starts_with("gup"))
        .map(|s| s.result)
        .expect("the gup step ran")
}

#[test]
fn gup_error_precedence_table() {
    let mut rows = 0;
    for line in TABLE.lines().filter(|l| !l.trim().is_empty()) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let [ver, mapping, flags, pin, get] = w[..] else {
            panic!("bad row {line}");
        };
        let era = KernelVersion::from_name(ver).unwrap();
        let text = script(mapping, flags);
        let want_pin = OpResult::from_name(pin).unwrap();
        let want_get = OpResult::from_name(get).unwrap();
        for (scheme, want) in [
            (SchemeKind::Refcount, want_pin),
            (SchemeKind::FakeVma, want_pin),
            (SchemeKind::Legacy, want_get),
        ] {
            let got = result(&text, era, scheme);
            // GUP-fast that fell back and then succeeded reports `fallback`: still a success.
            let got = if got == OpResult::Fallback {
                OpResult::Ok
            } else {
                got
            };
            assert_eq!(got, want, "{scheme} on {line}\n{text}");
        }
        rows += 1;
    }
    assert_eq!(rows, 23);
}
