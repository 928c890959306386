//! Each kind's settings are a section of the configuration named by its slug, defined in the
//! kind's folder and checked by the registry: read from the file and the environment, shown by
//! `fazhi config show`, and a section no kind owns refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fazhi_domain::dispute::DisputeSettings;
use fazhi_domain::petition::PetitionSettings;
use fazhi_domain::work_order::WorkOrderSettings;
use fazhi_service::Config;

fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect::<Vec<_>>().into_iter()
}

#[test]
fn every_kind_starts_from_its_defaults_and_config_show_prints_them() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.settings().of::<WorkOrderSettings>("work_order").urgency.len(), 3);
    let shown = c.to_masked_toml();
    for section in ["[work_order]", "[dispute]", "[petition]", "[[work_order.urgency]]", "mediation_period"] {
        assert!(shown.contains(section), "{section} missing from config show:\n{shown}");
    }
    // What is printed loads back to the same configuration.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fazhi.toml");
    std::fs::write(&f, &shown).unwrap();
    assert_eq!(Config::load(Some(&f), env(&[])).unwrap().settings(), c.settings());
}

#[test]
fn urgency_classes_are_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fazhi.toml");
    std::fs::write(&f, "[[work_order.urgency]]\ncode = \"urgent\"\nlabel = \"紧急\"\nworking_days = 2\n").unwrap();
    let c = Config::load(Some(&f), env(&[])).unwrap();
    let own = c.settings().of::<WorkOrderSettings>("work_order");
    assert_eq!(own.urgency.len(), 1);
    assert_eq!(own.urgency[0].working_days, 2);
}

#[test]
fn dispute_categories_and_the_mediation_target_are_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fazhi.toml");
    std::fs::write(
        &f,
        "[dispute]\nmediation_period = \"30日\"\n[[dispute.categories]]\ncode = \"fishpond\"\nlabel = \"鱼塘承包\"\n",
    )
    .unwrap();
    let c = Config::load(Some(&f), env(&[("FAZHI__PETITION__OTHER_CONCLUDE_DAYS", "45")])).unwrap();
    let dispute = c.settings().of::<DisputeSettings>("dispute");
    assert_eq!(dispute.categories.len(), 1);
    assert_eq!(dispute.mediation().label(), "30日");
    assert_eq!(c.settings().of::<PetitionSettings>("petition").other_conclude_days, 45);
    std::fs::write(&f, "[dispute]\nmediation_period = \"一个月\"\n").unwrap();
    assert!(Config::load(Some(&f), env(&[])).unwrap_err().to_string().contains("dispute.mediation_period"));
}

#[test]
fn a_bad_value_an_unknown_key_and_an_unknown_section_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fazhi.toml");
    std::fs::write(&f, "[[work_order.urgency]]\ncode = \"x\"\nlabel = \"x\"\nworking_days = 0\n").unwrap();
    let e = Config::load(Some(&f), env(&[])).unwrap_err().to_string();
    assert!(e.contains("work_order.urgency[0]") && e.contains("办理时限"), "{e}");
    std::fs::write(&f, "[petition]\nother_conclude_dayz = 3\n").unwrap();
    let e = Config::load(Some(&f), env(&[])).unwrap_err().to_string();
    assert!(e.contains("petition") && e.contains("other_conclude_dayz"), "{e}");
    std::fs::write(&f, "[petitoin]\nother_conclude_days = 3\n").unwrap();
    let e = Config::load(Some(&f), env(&[])).unwrap_err().to_string();
    assert!(e.contains("未知的配置节“petitoin”"), "{e}");
    // A section of a kind without settings is refused too.
    std::fs::write(&f, "[visit]\nx = 1\n").unwrap();
    assert!(Config::load(Some(&f), env(&[])).is_err());
}

#[test]
fn the_public_pages_settings_are_shown_read_and_checked() {
    let c = Config::load(None, env(&[])).unwrap();
    let shown = c.to_masked_toml();
    for line in
        ["[public]", "rating_days_after_archive = 30", "public_failures_per_address = 5", "public_lockout_minutes = 15"]
    {
        assert!(shown.contains(line), "{line} missing from config show:\n{shown}");
    }
    let c = Config::load(None, env(&[("FAZHI__PUBLIC__RATING_DAYS_AFTER_ARCHIVE", "60")])).unwrap();
    assert_eq!(c.settings().public.rating_days_after_archive, 60);
    let e = Config::load(None, env(&[("FAZHI__PUBLIC__RATING_DAYS_AFTER_ARCHIVE", "400")])).unwrap_err();
    assert!(e.to_string().contains("public.rating_days_after_archive：应为0至365（天）"), "{e}");
    let e = Config::load(None, env(&[("FAZHI__SECURITY__PUBLIC_FAILURES_PER_ADDRESS", "0")])).unwrap_err();
    assert!(e.to_string().contains("security.public_failures_per_address"), "{e}");
}
