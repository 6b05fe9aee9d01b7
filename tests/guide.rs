//! docs/guide.md shows the standalone example crate (a user's crate outside the workspace) in
//! full: keep the two identical, Cargo.toml included.

fn block_after<'a>(text: &'a str, fence: &str, skip: usize) -> &'a str {
    let mut rest = text;
    for _ in 0..=skip {
        let at = rest.find(fence).expect("the guide has the block") + fence.len();
        rest = &rest[at..];
    }
    &rest[..rest.find("```").expect("the block ends")]
}

fn without(text: &str, prefix: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(prefix))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn guide_example_is_the_standalone_crate() {
    let guide = include_str!("../docs/guide.md");
    let main = include_str!("../examples/standalone/src/main.rs");
    assert_eq!(
        block_after(guide, "```rust\n", 0).trim(),
        without(main, "//!").trim()
    );
    let manifest = include_str!("../examples/standalone/Cargo.toml");
    assert_eq!(
        block_after(guide, "```toml\n", 0).trim(),
        without(manifest, "#").trim()
    );
}

#[test]
fn marl_doc_program_is_the_custom_env_crate() {
    let doc = include_str!("../docs/marl.md");
    let main = include_str!("../examples/custom_env/src/main.rs");
    let block = format!("```rust\n{}\n```", without(main, "//!").trim());
    assert!(
        doc.contains(&block),
        "docs/marl.md must show examples/custom_env/src/main.rs in full"
    );
}
