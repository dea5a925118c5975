//! Mistakes in typed resources and typed references are compile errors: each file in `compile_fail/` must fail
//! to build with the committed `.stderr`. After a compiler upgrade changes the wording,
//! refresh them with `TRYBUILD=overwrite cargo test -p stackforge-constructs --test compile_fail`.

#[test]
fn typed_resource_and_reference_mistakes_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
