#!/usr/bin/env python3
"""Download every export the built-in datasets (datasets/*.toml) read, in their layout and formats.

    pip install akshare baostock
    python3 datasets/fetch.py data          # writes data/raw/...
    cargo run --release -- compare strategies/*.toml --data data --out out

Without --data, cyclebt runs on the bundled snapshot (datasets/snapshot) instead; this script is
for newer figures than the snapshot's. `cargo run -- data snapshot --data data` rebuilds the
snapshot from what it writes.

The files are written as the APIs return them, without cleaning: the importer in cyclebt
handles the quirks and reports them (`cyclebt data check --data data`). One exception: the
Eastmoney totals come from akshare with Chinese headers, so their four columns are renamed to
the layout of the `eastmoney_margin` format (date, fin_balance, loan_balance, fin_buy) and
sorted by date.

| file                                           | call                                                    |
|------------------------------------------------|---------------------------------------------------------|
| raw/baostock/sh000001.csv                      | baostock query_history_k_data_plus("sh.000001", ...)   |
| raw/baostock/sh000300.csv                      | baostock query_history_k_data_plus("sh.000300", ...)   |
| raw/baostock/sz399001.csv                      | baostock query_history_k_data_plus("sz.399001", ...)   |
| raw/csindex/000985.csv                         | akshare stock_zh_index_hist_csindex("000985")           |
| raw/csindex/H00300.csv                         | akshare stock_zh_index_hist_csindex("H00300")           |
| raw/akshare/macro_china_market_margin_sh.csv   | akshare macro_china_market_margin_sh()                  |
| raw/akshare/macro_china_market_margin_sz.csv   | akshare macro_china_market_margin_sz()                  |
| raw/eastmoney/margin_total.csv                 | akshare stock_margin_account_info() (Eastmoney, 亿元)   |
| raw/legulegu/shanghai_pe_monthly.csv           | akshare stock_market_pe_lg(symbol="上证")               |
| raw/legulegu/hs300_pe.csv                      | akshare stock_index_pe_lg(symbol="沪深300")             |
| raw/akshare/macro_china_stock_market_cap.csv   | akshare macro_china_stock_market_cap()                  |

The CSIndex history comes with Chinese headers; its columns are renamed to the `csindex` layout
(date, open, high, low, close, amount_yi, pe), as the Eastmoney totals are below.

Vendors rename columns from time to time; if a call fails or a column is missing, the error
says which, and `cyclebt data check` names any column the importer cannot find.
"""

import datetime
import pathlib
import sys


def need(module):
    try:
        return __import__(module)
    except ImportError:
        sys.exit(f"fetch.py needs the {module} package: pip install akshare baostock")


def write_baostock(root, code, name):
    bs = need("baostock")
    fields = "date,open,close,high,low,volume,amount,turn,pctChg"
    login = bs.login()
    if login.error_code != "0":
        sys.exit(f"baostock login failed: {login.error_msg}")
    try:
        result = bs.query_history_k_data_plus(
            code,
            fields,
            start_date="1990-12-19",
            end_date=datetime.date.today().isoformat(),
            frequency="d",
            adjustflag="3",
        )
        if result.error_code != "0":
            sys.exit(f"baostock {code}: {result.error_msg}")
        rows = []
        while result.next():
            rows.append(result.get_row_data())
    finally:
        bs.logout()
    path = root / "raw" / "baostock" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(fields + "\n")
        for row in rows:
            out.write(",".join(row) + "\n")
    print(f"wrote {path} ({len(rows)} rows)")


def write_frame(frame, path, bom):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8")
    print(f"wrote {path} ({len(frame)} rows)")


def renamed_columns(frame, wanted, call):
    """The columns `wanted` (Chinese name -> layout name) of a frame, renamed; exits naming the
    missing ones."""
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        sys.exit(f"{call} has no column {missing}; it has {list(frame.columns)}")
    return frame[list(wanted)].rename(columns=wanted).sort_values("date")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 datasets/fetch.py OUTPUT_DIR")
    root = pathlib.Path(sys.argv[1])
    ak = need("akshare")

    for code, name in (("sh.000001", "sh000001.csv"), ("sh.000300", "sh000300.csv"), ("sz.399001", "sz399001.csv")):
        write_baostock(root, code, name)

    # CSIndex: 000985 from 2015 with its PE, H00300 (total return) close only.
    today = datetime.date.today().strftime("%Y%m%d")
    csindex = {"日期": "date", "开盘": "open", "最高": "high", "最低": "low", "收盘": "close",
               "成交金额": "amount_yi", "滚动市盈率": "pe"}
    for symbol, start, columns in (("000985", "20150101", list(csindex)), ("H00300", "20050101", ["日期", "收盘"])):
        frame = ak.stock_zh_index_hist_csindex(symbol=symbol, start_date=start, end_date=today)
        renamed = renamed_columns(frame, {c: csindex[c] for c in columns}, f"stock_zh_index_hist_csindex({symbol})")
        write_frame(renamed, root / "raw" / "csindex" / f"{symbol}.csv", bom=False)

    for exchange in ("sh", "sz"):
        frame = getattr(ak, f"macro_china_market_margin_{exchange}")()
        write_frame(frame, root / "raw" / "akshare" / f"macro_china_market_margin_{exchange}.csv", bom=True)

    account = ak.stock_margin_account_info()
    wanted = {"日期": "date", "融资余额": "fin_balance", "融券余额": "loan_balance", "融资买入额": "fin_buy"}
    total = renamed_columns(account, wanted, "stock_margin_account_info")
    # The average maintenance ratio (in %); written empty when akshare has no such column, which
    # `cyclebt data check` then reports as a series with no values.
    total["guarantee"] = account["平均维持担保比例"] if "平均维持担保比例" in account.columns else None
    total = total.sort_values("date")
    write_frame(total, root / "raw" / "eastmoney" / "margin_total.csv", bom=False)

    pe = ak.stock_market_pe_lg(symbol="上证")
    write_frame(pe, root / "raw" / "legulegu" / "shanghai_pe_monthly.csv", bom=True)
    hs300_pe = ak.stock_index_pe_lg(symbol="沪深300")
    write_frame(hs300_pe, root / "raw" / "legulegu" / "hs300_pe.csv", bom=True)

    market_cap = ak.macro_china_stock_market_cap()
    write_frame(market_cap, root / "raw" / "akshare" / "macro_china_stock_market_cap.csv", bom=True)


if __name__ == "__main__":
    main()
