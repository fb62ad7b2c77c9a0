//! `cyclebt plugins list`: every library in the plugin directories, loaded and checked.

use std::io::Write;

use anyhow::Result;
use cyclebt_host::PluginDirs;

/// Prints each plugin's name, version, ABI version, path and parameters, or why it was
/// rejected. Rejections are listed, not fatal: one bad file must not hide the others.
pub fn list(dirs: &PluginDirs, out: &mut dyn Write) -> Result<()> {
    let searched: Vec<String> = dirs
        .dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    writeln!(out, "plugin directories: {}", searched.join(", "))?;
    let libraries = dirs.libraries();
    if libraries.is_empty() {
        writeln!(out, "no plugin libraries found")?;
    }
    for path in libraries {
        writeln!(out)?;
        match cyclebt_host::load(&path) {
            Ok(plugin) => {
                let info = &plugin.info;
                writeln!(
                    out,
                    "{} {} ({} plugin, ABI {})",
                    info.name, info.version, info.kind, info.abi_version
                )?;
                writeln!(out, "  path:  {}", info.path.display())?;
                writeln!(out, "  built: {}", info.build)?;
                if !info.requires_series.is_empty() {
                    writeln!(out, "  reads series: {}", info.requires_series.join(", "))?;
                }
                if !info.label_names.is_empty() {
                    let named: Vec<String> = (1..)
                        .zip(&info.label_names)
                        .filter(|(_, name)| !name.is_empty())
                        .map(|(k, name)| format!("{k} {name}"))
                        .collect();
                    writeln!(out, "  labels: {}", named.join(", "))?;
                }
                for p in &info.params {
                    writeln!(out, "  param {} = {}  {}", p.name, p.default, p.description)?;
                }
            }
            Err(error) => writeln!(out, "rejected: {error}")?,
        }
    }
    Ok(())
}
