#!/usr/bin/env bash
# Drive the real app in tmux, as a clinician would: the README's run command on a fresh store,
# add a patient with the baseline, log the start, log a visit in mixed units, read the findings
# and the next check off the screen; then the clinic's day: the list shows the alert, another
# process imports a patient and the open list shows it, open it, hand the calculator's regimen
# over to a dose-change visit and save it, another process imports a visit and the open patient
# screen shows it, write the report; quit, and check what the store kept.
#
#   scripts/tmux_drive.sh            # prints each screen it checks; exit 0 when every check passed
#   KEEP=1 scripts/tmux_drive.sh     # keep the temporary folder (store and screen captures)
#
# Needs tmux and python3. Today is fixed (TACRO_TODAY=2026-11-22) so the dates below are stable.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tacro-tmux.XXXXXX")"
SESSION="tacro-drive-$$"
export TACRO_DB="$WORK/tacro.db" TACRO_TODAY="2026-11-22"
STEP=0

cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    if [[ -z "${KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept: $WORK"; fi
}
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$SESSION"; }

# wait_for TEXT [SECONDS]: until TEXT is on the screen; print the screen; fail if it never shows.
wait_for() {
    local text="$1" limit="${2:-20}" start=$SECONDS
    while (( SECONDS - start < limit )); do
        if screen | grep -qF -- "$text"; then
            STEP=$((STEP + 1))
            screen > "$WORK/screen-$STEP.txt"
            echo "--- check $STEP: '$text' is on the screen"
            sleep 0.3  # let the new screen take its focus before typing on
            return 0
        fi
        sleep 0.2
    done
    echo "FAIL: '$text' did not appear within ${limit}s. The screen was:" >&2
    screen >&2
    exit 1
}

show() { echo "--- screen after check $STEP:"; screen | sed -e 's/[[:space:]]*$//' | grep -v '^$'; }
# tmux delivers keys faster than any hand: a key that moves the focus must land before the
# next text, so each group of keys is followed by a short pause.
PACE="${KEY_PAUSE:-0.15}"   # seconds between keys; raise it on a loaded machine
keys() { for k in "$@"; do tmux send-keys -t "$SESSION" "$k"; sleep "$PACE"; done; }
typed() { tmux send-keys -t "$SESSION" -l -- "$1"; sleep "$PACE"; }   # literal text
field() { keys C-u; typed "$1"; }                                    # clear the focused field, then type

command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 2; }

tmux new-session -d -s "$SESSION" -x 100 -y 30 \
    "cd '$ROOT' && TACRO_DB='$TACRO_DB' TACRO_TODAY='$TACRO_TODAY' python3 dev.py run; sleep 30"

wait_for "No patients yet" 60
keys a
wait_for "Add a patient"
typed "P-001"; keys Tab Tab                   # id, label (left blank), to the baseline date
field "2026-11-01"; keys Tab
field "70 kg"; keys Tab
field "70 umol/L"; keys Tab
field "120/80 mmHg"
keys C-s
wait_for "none recorded: log a 'start' visit"

keys v
wait_for "Log a visit for P-001"
keys BTab BTab; field "2026-11-02"; keys Tab   # back to the date (focus starts on the weight)
keys Enter Down Enter                          # event: visit -> start
keys Tab Tab; field "7 mg/day"
keys C-s
wait_for "7 mg/day since 2026-11-02"

keys v
wait_for "Log a visit for P-001"
keys BTab BTab; field "2026-11-16"; keys Tab Tab   # the date, then past the event to the weight
field "154 lb"; keys Tab Tab Tab             # weight; past dose and product
field "25 nmol/L"; keys Tab Tab               # trough; past hours after dose
field "1.04 mg/dL"; keys Tab
field "150/95 mmHg"
wait_for "≈ 20.1 ng/mL"
wait_for "≈ 91.9 µmol/L"
show
keys C-s
wait_for "Open findings (3)"                 # the page leads with what is open, alerts first
wait_for "ALERT CREATININE_RISE"
wait_for "TROUGH_UPPER_BAND"
show

keys Escape
wait_for "1 of 1 need action: 1 alert, 0 overdue"
wait_for "ALERT CREATININE_RISE"
show

# another process imports a patient with a 50% creatinine rise: the open list follows
cat > "$WORK/import.csv" <<'CSV'
patient_id,date,event,weight,dose,trough,creatinine,sbp,dbp
P-002,2026-11-01,visit,70,,,60,120,80
P-002,2026-11-02,start,,5,,,,
P-002,2026-11-12,visit,,,8,90,125,82
CSV
"$ROOT/.venv/bin/python" -m dosing import "$WORK/import.csv" --db "$TACRO_DB" > "$WORK/import.out" 2>&1 \
    || { echo "FAIL: the import was refused:" >&2; cat "$WORK/import.out" >&2; exit 1; }
wait_for "P-002"
wait_for "2 of 2 need action"
wait_for "updated"
show

typed "/"; typed "P-002"; keys Enter Enter    # search, back to the list, open the patient
wait_for "Open findings (1)"
keys d
wait_for "Adjustment"
keys C-r
wait_for "every 12 h"
keys F2
wait_for "prefilled from the calculator's regimen"
show
keys C-s
wait_for "since 2026-11-22"

# another process imports a visit for the patient on screen: the open screen shows it
cat > "$WORK/visit.csv" <<'CSV'
patient_id,date,event,sbp,dbp
P-002,2026-11-21,visit,185,100
CSV
"$ROOT/.venv/bin/python" -m dosing import "$WORK/visit.csv" --db "$TACRO_DB" > "$WORK/visit.out" 2>&1 \
    || { echo "FAIL: the import was refused:" >&2; cat "$WORK/visit.out" >&2; exit 1; }
wait_for "BP_SEVERE"
wait_for "updated"
show
keys r
wait_for "Report written"
test -s "$WORK/reports/P-002-2026-11-22.html" || { echo "FAIL: no report file" >&2; exit 1; }
echo "--- report: $(stat -c '%a %s bytes' "$WORK/reports/P-002-2026-11-22.html")"
keys Escape
wait_for "need action"
keys q
sleep 1

python3 - "$TACRO_DB" <<'EOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
events = con.execute("SELECT count(*) FROM event WHERE patient_id = 'P-001'").fetchone()[0]
assert events == 3, events
who = con.execute("SELECT count(*) FROM event WHERE source = 'entry' AND entered_by IS NOT NULL").fetchone()[0]
assert who == 4, who  # baseline, start, visit and the hand-off, each with its author
assert con.execute("SELECT count(*) FROM event WHERE patient_id = 'P-002'").fetchone()[0] == 5
# What was typed is kept in the event row (store schema 3): field -> [text as typed, magnitude, unit].
stored = con.execute("SELECT entered FROM event WHERE id = (SELECT max(id) FROM event "
                     "WHERE patient_id = 'P-001')").fetchone()[0]
typed = {field: v[0] for field, v in json.loads(stored or "{}").items()}
assert typed["weight"] == "154 lb" and typed["trough"] == "25 nmol/L" and typed["creatinine"] == "1.04 mg/dL", typed
print(f"--- store: {events} events for P-001; the last kept as typed: {typed['weight']}, {typed['trough']}, "
      f"{typed['creatinine']}")
EOF
echo "PASS: $STEP screen checks and the store check"
