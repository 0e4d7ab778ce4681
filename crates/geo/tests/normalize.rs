use pomoshnik_geo::{AddressKey, normalize_address, normalize_district_name};

#[test]
fn city_prefix_and_abbreviation() {
    assert_eq!(
        normalize_address("город Москва, Госпитальная ул 14"),
        "госпитальная улица 14"
    );
    assert_eq!(
        normalize_address("г. Москва, Госпитальная ул. 14"),
        "госпитальная улица 14"
    );
    assert_eq!(
        normalize_address("Москва, Госпитальная улица, д. 14"),
        "госпитальная улица дом 14"
    );
}

#[test]
fn yo_and_case() {
    assert_eq!(
        normalize_address("Кадашёвская НАБ."),
        normalize_address("кадашевская набережная")
    );
}

#[test]
fn prospekt_forms() {
    for text in [
        "пр-т Мира 1",
        "пр. Мира 1",
        "просп. Мира 1",
        "проспект Мира, 1",
    ] {
        assert_eq!(normalize_address(text), "проспект мира 1", "input {text}");
    }
}

#[test]
fn korpus_and_stroenie() {
    assert_eq!(normalize_address("корп. 2 стр 1"), "корпус 2 строение 1");
    assert_eq!(normalize_address("к. 2, с. 1"), "корпус 2 строение 1");
}

#[test]
fn other_street_types() {
    assert_eq!(normalize_address("Варшавское ш., 1"), "варшавское шоссе 1");
    assert_eq!(normalize_address("Цветной б-р"), "цветной бульвар");
    assert_eq!(normalize_address("Трубная пл."), "трубная площадь");
    assert_eq!(
        normalize_address("Благовещенский пер."),
        "благовещенский переулок"
    );
}

#[test]
fn key_house_with_korpus() {
    let key = AddressKey::parse("город Москва, проспект Буденного, дом 39, корпус 1");
    assert_eq!(key.words, ["проспект", "буденного"]);
    assert_eq!(key.house.as_deref(), Some("39к1"));
}

#[test]
fn key_bare_house_number() {
    let key = AddressKey::parse("Госпитальная ул 14");
    assert_eq!(key.words, ["госпитальная", "улица"]);
    assert_eq!(key.house.as_deref(), Some("14"));
}

#[test]
fn key_keeps_ordinal_in_street() {
    let key = AddressKey::parse("1-я Чоботовская аллея");
    assert_eq!(key.words, ["1-я", "чоботовская", "аллея"]);
    assert_eq!(key.house, None);
}

#[test]
fn district_name_forms() {
    assert_eq!(
        normalize_district_name("район Филёвский Парк"),
        "филевский парк"
    );
    assert_eq!(normalize_district_name("Басманный район"), "басманный");
    assert_eq!(
        normalize_district_name("поселение \"Мосрентген\""),
        "мосрентген"
    );
    assert_eq!(normalize_district_name("городской округ Троицк"), "троицк");
}
