//! docs/guide.md shows examples/aga_with_adam.rs in full: keep the two identical.

#[test]
fn guide_example_is_the_example_file() {
    let guide = include_str!("../docs/guide.md");
    let example = include_str!("../examples/aga_with_adam.rs");
    let start = guide.find("```rust\n").expect("the guide has a rust block") + "```rust\n".len();
    let end = start + guide[start..].find("```").expect("the block ends");
    let body: String = example
        .lines()
        .filter(|l| !l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(guide[start..end].trim(), body.trim());
}
