import pytest

from indicators_core.catalog import CatalogError, load_catalog, parse_catalog


def test_the_packaged_catalog_has_the_domain_indicators():
    catalog = load_catalog()
    assert catalog.codes() == [
        "industrial_output",
        "fixed_asset_investment",
        "manufacturing_investment",
        "import_export",
        "export",
        "import",
        "foreign_capital",
        "signed_projects",
        "signed_investment",
        "major_project_investment",
    ]
    assert catalog.get("industrial_output").name_zh == "规上工业产值"
    assert catalog.get("foreign_capital").unit == "万美元"
    assert catalog.get("signed_projects").integer is True
    assert catalog.get("manufacturing_investment").part_of == "fixed_asset_investment"
    assert catalog.get("fixed_asset_investment").january is False


def test_a_broken_catalog_fails_at_load_with_the_reason():
    with pytest.raises(CatalogError, match="part_of 'nothing' is not in the catalog"):
        parse_catalog('[[indicator]]\ncode="a"\nname_zh="甲"\nunit="亿元"\nscale="cny"\npart_of="nothing"\n')
    with pytest.raises(CatalogError, match="unit '万美元' not in scale 'cny'"):
        parse_catalog('[[indicator]]\ncode="a"\nname_zh="甲"\nunit="万美元"\nscale="cny"\n')
