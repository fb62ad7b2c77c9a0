//! Pins the size and field offsets of every type that crosses the plugin boundary (64-bit
//! targets). A failure here means the ABI changed: only appending fields is allowed without
//! bumping `ABI_VERSION`, and then these numbers are updated in the same commit.

use std::mem::{align_of, offset_of, size_of};

use cyclebt_abi::*;

#[test]
#[cfg(target_pointer_width = "64")]
fn boundary_types_keep_their_layout() {
    assert_eq!(ABI_VERSION, 2);
    assert_eq!(OLDEST_ABI_VERSION, 1);
    assert_eq!(SERIES_ABSENT, usize::MAX);
    assert_eq!(ENTRY_SYMBOL, b"cyclebt_plugin_entry\0");

    assert_eq!(size_of::<StrRef>(), 16);
    assert_eq!(offset_of!(StrRef, ptr), 0);
    assert_eq!(offset_of!(StrRef, len), 8);

    assert_eq!(size_of::<BuildInfo>(), 64);
    assert_eq!(offset_of!(BuildInfo, sdk_version), 0);
    assert_eq!(offset_of!(BuildInfo, rustc), 16);
    assert_eq!(offset_of!(BuildInfo, target), 32);
    assert_eq!(offset_of!(BuildInfo, profile), 48);

    assert_eq!(size_of::<ParamSpec>(), 48);
    assert_eq!(offset_of!(ParamSpec, name), 0);
    assert_eq!(offset_of!(ParamSpec, default_toml), 16);
    assert_eq!(offset_of!(ParamSpec, description), 32);

    assert_eq!(size_of::<HistoryView>(), 64);
    assert_eq!(offset_of!(HistoryView, len), 0);
    assert_eq!(offset_of!(HistoryView, dates), 8);
    assert_eq!(offset_of!(HistoryView, column_count), 16);
    assert_eq!(offset_of!(HistoryView, stride), 24);
    assert_eq!(offset_of!(HistoryView, values), 32);
    assert_eq!(offset_of!(HistoryView, missing), 40);
    // Appended in version 2.
    assert_eq!(offset_of!(HistoryView, series_count), 48);
    assert_eq!(offset_of!(HistoryView, series_columns), 56);

    assert_eq!(size_of::<Output>(), 16);
    assert_eq!(offset_of!(Output, value), 0);
    assert_eq!(offset_of!(Output, label), 8);

    assert_eq!(size_of::<PluginDescriptor>(), 208);
    // A version-2 descriptor built before label names is this one up to `series`.
    assert_eq!(DESCRIPTOR_V2_SERIES_SIZE, 192);
    // A version-1 descriptor is this one up to `requires`.
    assert_eq!(DESCRIPTOR_V1_SIZE, 176);
    assert_eq!(align_of::<PluginDescriptor>(), 8);
    assert_eq!(offset_of!(PluginDescriptor, abi_version), 0);
    assert_eq!(offset_of!(PluginDescriptor, descriptor_size), 4);
    assert_eq!(offset_of!(PluginDescriptor, name), 8);
    assert_eq!(offset_of!(PluginDescriptor, version), 24);
    assert_eq!(offset_of!(PluginDescriptor, build), 40);
    assert_eq!(offset_of!(PluginDescriptor, kind), 104);
    assert_eq!(offset_of!(PluginDescriptor, param_count), 112);
    assert_eq!(offset_of!(PluginDescriptor, params), 120);
    assert_eq!(offset_of!(PluginDescriptor, create), 128);
    assert_eq!(offset_of!(PluginDescriptor, destroy), 136);
    assert_eq!(offset_of!(PluginDescriptor, evaluate), 144);
    assert_eq!(offset_of!(PluginDescriptor, last_error), 152);
    assert_eq!(offset_of!(PluginDescriptor, evaluate_range), 160);
    assert_eq!(offset_of!(PluginDescriptor, requires), 168);
    // Appended in version 2.
    assert_eq!(offset_of!(PluginDescriptor, series_count), 176);
    assert_eq!(offset_of!(PluginDescriptor, series), 184);
    // Appended in version 2 after the series.
    assert_eq!(offset_of!(PluginDescriptor, label_count), 192);
    assert_eq!(offset_of!(PluginDescriptor, label_names), 200);
}

#[test]
fn status_kind_and_field_numbers_are_fixed() {
    assert_eq!((STATUS_OK, STATUS_ERROR, STATUS_PANIC), (0, 1, 2));
    assert_eq!((KIND_SIGNAL, KIND_STRATEGY), (1, 2));
    assert_eq!(yyyymmdd(2015, 6, 12), 20150612);
}

#[test]
fn the_data_layer_field_order_is_the_abi_column_order() {
    use cyclebt_data::Field;
    let pairs = [
        (Field::Open, field::OPEN),
        (Field::High, field::HIGH),
        (Field::Low, field::LOW),
        (Field::Close, field::CLOSE),
        (Field::Volume, field::VOLUME),
        (Field::Amount, field::AMOUNT),
        (Field::Turnover, field::TURNOVER),
        (Field::FinancingBalance, field::FINANCING_BALANCE),
        (Field::FinancingBuy, field::FINANCING_BUY),
        (Field::LendingBalance, field::LENDING_BALANCE),
        (Field::MarginTotal, field::MARGIN_TOTAL),
        (Field::Pe, field::PE),
        (Field::MarketCap, field::MARKET_CAP),
    ];
    assert_eq!(pairs.len(), field::COUNT);
    assert_eq!(Field::COUNT, field::COUNT);
    for (data, abi) in pairs {
        assert_eq!(data as usize, abi, "{}", data.name());
        assert_eq!(Field::ALL[abi], data);
    }
}
