//! Parameter parsing from a JSON body and from a query string.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::api::tencent::params::Params;

fn exercise(mut p: Params) {
    let _ = p.opt_str("KeyId");
    let _ = p.opt_int("Limit");
    let _ = p.opt_bool("Flag");
    let _ = p.opt_str_list("KeyIds");
    if let Ok(Some(items)) = p.opt_obj_list("Tags") {
        for mut t in items {
            let _ = t.opt_str("TagKey");
            let _ = t.finish();
        }
    }
    let _ = p.finish();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Params::from_json_body(data) {
        exercise(p);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = Params::from_query(text) {
            exercise(p);
        }
    }
});
