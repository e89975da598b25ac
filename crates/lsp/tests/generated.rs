//! The exported command table (`editors/vscode/src/generated/commands.json`, which the
//! extension and its contract test read) is the one the handlers declare. After changing a
//! handler's declaration, an argument or a result type:
//! `UPDATE_GENERATED=1 cargo test -p gopay-miniapp-lsp --test generated`.

use std::path::PathBuf;

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../editors/vscode/src/generated/commands.json")
}

#[test]
fn the_committed_command_table_is_fresh() {
    let fresh =
        serde_json::to_string_pretty(&gopay_miniapp_lsp::handlers::export()).unwrap() + "\n";
    let path = committed();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "{} is stale: run `UPDATE_GENERATED=1 cargo test -p gopay-miniapp-lsp --test generated` and commit it",
        path.display()
    );
}
