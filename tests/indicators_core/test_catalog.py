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
        "gdp",
        "industrial_investment",
        "industrial_value_added",
        "tax_revenue",
        "domestic_capital",
        "enterprises_above_scale",
        "projects_signed",
        "projects_signed_investment",
        "projects_signed_100m",
        "projects_started",
        "projects_in_production",
        "project_start_rate_pct",
        "project_production_rate_pct",
        "project_registration_rate_pct",
        "land_to_start_avg_days",
    ]
    assert catalog.get("industrial_output").name_zh == "规上工业产值"
    assert catalog.get("foreign_capital").unit == "万美元"
    assert catalog.get("signed_projects").integer is True
    assert catalog.get("manufacturing_investment").part_of == "fixed_asset_investment"
    assert catalog.get("fixed_asset_investment").january is False


def test_frequency_and_kind_default_to_monthly_flows():
    catalog = load_catalog()
    output = catalog.get("industrial_output")
    assert (output.frequency, output.kind, output.step, output.first_month) == ("month", "flow", 1, 1)
    # 地区生产总值 is quarterly: stored at each quarter's last month, the first release is 1季度 (month 3).
    gdp = catalog.get("gdp")
    assert (gdp.name_zh, gdp.unit, gdp.quarterly, gdp.step, gdp.first_month) == ("地区生产总值", "亿元", True, 3, 3)
    # 工业投资 is modelled as fixed-asset investment is: a part of it, with no January report (1-2月 first).
    investment = catalog.get("industrial_investment")
    assert (investment.part_of, investment.january, investment.first_month) == ("fixed_asset_investment", False, 2)
    firms = catalog.get("enterprises_above_scale")
    assert (firms.name_zh, firms.unit, firms.kind, firms.stock, firms.integer) == (
        "规上工业企业数",
        "家",
        "stock",
        True,
        True,
    )
    for code, name in [
        ("industrial_value_added", "规上工业增加值"),
        ("tax_revenue", "税收收入"),
        ("domestic_capital", "实际到位内资"),
    ]:
        assert (catalog.get(code).name_zh, catalog.get(code).unit, catalog.get(code).kind) == (name, "亿元", "flow")


def test_the_project_lists_figures_are_derived_counts_amounts_rates_and_days():
    catalog = load_catalog()
    derived = {code: catalog.get(code) for code in catalog.codes() if catalog.get(code).derived}
    assert {code: (i.name_zh, i.unit, i.kind, i.integer) for code, i in derived.items()} == {
        "projects_signed": ("签约项目数（项目清单）", "个", "flow", True),
        "projects_signed_investment": ("签约项目总投资（项目清单）", "亿元", "flow", False),
        "projects_signed_100m": ("亿元以上签约项目数", "个", "flow", True),
        "projects_started": ("新开工项目数", "个", "flow", True),
        "projects_in_production": ("投产项目数", "个", "flow", True),
        "project_start_rate_pct": ("项目开工率", "%", "stock", False),
        "project_production_rate_pct": ("项目投产率", "%", "stock", False),
        "project_registration_rate_pct": ("项目注册率", "%", "stock", False),
        "land_to_start_avg_days": ("拿地至开工平均天数", "天", "stock", False),
    }
    assert {i.derived_from for i in derived.values()} == {"projects"}
    # Upstreams keep posting 重大项目完成投资 where they have no project list: it is not derived.
    assert catalog.get("major_project_investment").derived_from is None
    entry = '[[indicator]]\ncode="a"\nname_zh="甲"\nunit="个"\nscale="count"\n'
    with pytest.raises(CatalogError, match="a: derived_from 'list' is not one of projects"):
        parse_catalog(entry + 'derived_from="list"\n')


def test_a_wrong_frequency_or_kind_fails_at_load():
    entry = '[[indicator]]\ncode="a"\nname_zh="甲"\nunit="亿元"\nscale="cny"\n'
    with pytest.raises(CatalogError, match="a: frequency 'year' is not one of month, quarter"):
        parse_catalog(entry + 'frequency="year"\n')
    with pytest.raises(CatalogError, match="a: kind 'level' is not one of flow, stock"):
        parse_catalog(entry + 'kind="level"\n')
    with pytest.raises(CatalogError, match="january = false applies to monthly indicators only"):
        parse_catalog(entry + 'frequency="quarter"\njanuary=false\n')


def test_a_broken_catalog_fails_at_load_with_the_reason():
    with pytest.raises(CatalogError, match="part_of 'nothing' is not in the catalog"):
        parse_catalog('[[indicator]]\ncode="a"\nname_zh="甲"\nunit="亿元"\nscale="cny"\npart_of="nothing"\n')
    with pytest.raises(CatalogError, match="unit '万美元' not in scale 'cny'"):
        parse_catalog('[[indicator]]\ncode="a"\nname_zh="甲"\nunit="万美元"\nscale="cny"\n')


def test_a_wholes_parts_are_found_in_catalog_order():
    catalog = load_catalog()
    assert [part.code for part in catalog.parts("fixed_asset_investment")] == [
        "manufacturing_investment",
        "industrial_investment",
    ]
    assert [part.code for part in catalog.parts("import_export")] == ["export", "import"]
    assert catalog.parts("export") == ()  # a part with no parts of its own
    assert catalog.parts("no_such_indicator") == ()
