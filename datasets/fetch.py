#!/usr/bin/env python3
"""Download the exports that datasets/sh000001.toml reads, in the same layout and formats.

    pip install akshare baostock
    python3 datasets/fetch.py data          # writes data/raw/...
    cargo run --release -- compare strategies/*.toml --data data --out out

The files are written as the APIs return them, without cleaning: the importer in cyclebt
handles the quirks and reports them (`cyclebt data check --data data`). One exception: the
Eastmoney totals come from akshare with Chinese headers, so their four columns are renamed to
the layout of the `eastmoney_margin` format (date, fin_balance, loan_balance, fin_buy) and
sorted by date.

| file                                           | call                                                    |
|------------------------------------------------|---------------------------------------------------------|
| raw/baostock/sh000001.csv                      | baostock query_history_k_data_plus("sh.000001", ...)   |
| raw/akshare/macro_china_market_margin_sh.csv   | akshare macro_china_market_margin_sh()                  |
| raw/akshare/macro_china_market_margin_sz.csv   | akshare macro_china_market_margin_sz()                  |
| raw/eastmoney/margin_total.csv                 | akshare stock_margin_account_info() (Eastmoney, 亿元)   |
| raw/legulegu/shanghai_pe_monthly.csv           | akshare stock_market_pe_lg(symbol="上证")               |

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


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 datasets/fetch.py OUTPUT_DIR")
    root = pathlib.Path(sys.argv[1])
    ak = need("akshare")

    write_baostock(root, "sh.000001", "sh000001.csv")

    for exchange in ("sh", "sz"):
        frame = getattr(ak, f"macro_china_market_margin_{exchange}")()
        write_frame(frame, root / "raw" / "akshare" / f"macro_china_market_margin_{exchange}.csv", bom=True)

    account = ak.stock_margin_account_info()
    wanted = {"日期": "date", "融资余额": "fin_balance", "融券余额": "loan_balance", "融资买入额": "fin_buy"}
    missing = [c for c in wanted if c not in account.columns]
    if missing:
        sys.exit(f"stock_margin_account_info has no column {missing}; it has {list(account.columns)}")
    total = account[list(wanted)].rename(columns=wanted)
    if "平均维持担保比例" in account.columns:
        total["guarantee"] = account["平均维持担保比例"]
    total = total.sort_values("date")
    write_frame(total, root / "raw" / "eastmoney" / "margin_total.csv", bom=False)

    pe = ak.stock_market_pe_lg(symbol="上证")
    write_frame(pe, root / "raw" / "legulegu" / "shanghai_pe_monthly.csv", bom=True)


if __name__ == "__main__":
    main()
