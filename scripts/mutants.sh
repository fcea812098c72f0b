#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make mutants: does the suite catch real bugs? Each mutant is one
# deliberate bug, applied to a scratch copy of the tree (build/mutants/),
# after which the part of the suite that guards that code runs: the CLI
# unit tests on the host, or a few test programs in one guest (6.12 by
# default, KERNEL=6.1 for the other). A mutant is "caught" when that part
# fails. Two mutants run at a time (a guest keeps one core busy). Not part
# of make check.
#
# Usage: scripts/mutants.sh [-k KERNEL] [NAME...]   (default: every mutant)

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
KERNEL=${KERNEL:-6.12}
if [ "${1:-}" = -k ]; then
	KERNEL=$2
	shift 2
fi
OUT="$ROOT/build/mutants"

# NAME ~ FILE ~ PERL SUBSTITUTION (applied to the whole file) ~ CHECK
# CHECK: "unit" (tools/hostacct/tests/unit) or "vm: COMMAND" run in the
# guest from the scratch tree's root.
MUTANTS=$(cat <<'EOF'
cli-user-system~tools/hostacct/parse.c~s/U64\(struct ha_workload, user_ns\)/U64(struct ha_workload, XX)/; s/U64\(struct ha_workload, system_ns\)/U64(struct ha_workload, user_ns)/; s/U64\(struct ha_workload, XX\)/U64(struct ha_workload, system_ns)/~unit
prom-ms~tools/hostacct/prom.c~s/v\.u \/ 1000000000ULL/v.u \/ 1000000ULL/; s/v\.u % 1000000000ULL/v.u % 1000000ULL/~unit
csv-seconds~tools/hostacct/output.c~s/\(o->fmt == HA_FMT_CSV && \(unit == HA_U_NS_S \|\| unit == HA_U_BYTES\)\)/(o->fmt == HA_FMT_CSV \&\& unit == HA_U_BYTES)/; s/if \(csv\)\n\t\t\tsnprintf\(buf, len, "%.0f", val\);\n\t\telse\n\t\t\tsnprintf\(buf, len, "%.2f", val \/ 1e9\);/snprintf(buf, len, "%.2f", val \/ 1e9);/~unit
prom-raw-label~tools/hostacct/prom.c~s/char \*clean = ha_clean_str\(val, false\), \*c;/char *clean = strdup(val), *c;/~unit
table-control~tools/hostacct/util.c~s/if \(terminal && \(cp < 0x20 \|\| cp == 0x7f \|\|/if (terminal \&\& (cp == 0x7f ||/~unit
natives-unbounded~tools/hostacct/prom.c~s/for \(i = 0; i < n && \(natives == HA_NATIVES_ALL \|\| i < natives\); i\+\+\)/for (i = 0; i < n; i++)/~unit
rates-lifetime~tools/hostacct/rates.c~s/r->basis = HA_BASIS_NEW;/r->basis = HA_BASIS_LIFETIME;/~unit
ctr-mem-limit~tools/hostacct/cmd_report.c~s/return cg->mem_max != UINT64_MAX \? cg->mem_max : cg->mem_high;/return UINT64_MAX;/~vm: selftests/hostacct_cli_test.sh
drop-exits~kmod/ledger.c~s/(if \(!thread_group_leader\(p\)\))\n\t\treturn;/if (1)\n\t\treturn;/~vm: build/selftests/hostacct_counters_test -t vmms_keep_their_class
vcpu-twice~kmod/kvm.c~s/ctx->vcpu_ns \+= cpu_ns;/ctx->vcpu_ns += 2 * cpu_ns;/~vm: build/selftests/hostacct_workload_test -t kvm_vm_matches_fixture
anon-file~kmod/usage.c~s/u->rss_anon \+= \(u64\)anon << PAGE_SHIFT;\n\tu->rss_file \+= \(u64\)file << PAGE_SHIFT;/u->rss_anon += (u64)file << PAGE_SHIFT;\n\tu->rss_file += (u64)anon << PAGE_SHIFT;/~vm: build/selftests/hostacct_workload_test -t memory_toucher_matches_status
vmm-native~kmod/classify.c~s/\tif \(vmm\)\n\t\tci->class = HOSTACCT_CLASS_KVM;/\tif (0 \&\& vmm)\n\t\tci->class = HOSTACCT_CLASS_KVM;/~vm: build/selftests/hostacct_workload_test -t kvm_vm_matches_fixture
skip-batch~kmod/walk.c~s/\t\tif \(fatal_signal_pending\(current\)\)/\t\tw->cursor += HOSTACCT_WALK_BATCH \/ 2;\n\t\tif (fatal_signal_pending(current))/~vm: build/selftests/hostacct_workload_test -t every_task_in_exactly_one_workload -t dump_at_scale_under_churn
resume-cursor~kmod/workload.c~s/\tif \(err == -EMSGSIZE && skb->len\)\n\t\treturn skb->len;/\tif (err == -EMSGSIZE \&\& skb->len) {\n\t\tr->walk.cursor++;\n\t\treturn skb->len;\n\t}/~vm: build/selftests/hostacct_workload_test -t every_task_in_exactly_one_workload -t dump_at_scale_under_churn
no-extack~kmod/workload.c~s/NL_SET_ERR_MSG_ATTR\(extack, attr, "hostacct: no process with this pid"\);//~vm: build/selftests/hostacct_nl_test -t workload_request_semantics
class-on-zero~kmod/ledger.c~s/\tWRITE_ONCE\(e->class, class\);\n\thostacct_charge/\thostacct_charge/~vm: build/selftests/hostacct_counters_test -t containers_at_scale_monotonic
proc-stat-idle~kmod/host.c~s/u64 us = state == HOSTACCT_CPU_IDLE \?/u64 us = !cpu_online(cpu) ? -1ULL : state == HOSTACCT_CPU_IDLE ?/; s/\t\t\t\ta->acc\[i\] \+= v - a->high\[i\];/\t\t\t\ta->acc[i] = v;/; s/\t\t\t\ta->high\[i\] = v;\n\t\t\t\}\n/\t\t\t\ta->high[i] = v;\n\t\t\t} else {\n\t\t\t\ta->acc[i] = v;\n\t\t\t\ta->high[i] = v;\n\t\t\t}\n/~vm: build/selftests/hostacct_counters_test -t cpu_hotplug_monotonic
vm-startup-from-fork~kmod/lifecycle.c~s/WRITE_ONCE\(l->startup_ns, now - l->exec_ns\);/WRITE_ONCE(l->startup_ns, now - l->start_ns);/~vm: selftests/hostacct_events_test.sh
vmm-no-native-stop~kmod/lifecycle.c~s/\tif \(test_and_clear_bit\(HOSTACCT_LIFE_NATIVE, &l->flags\) \|\|\n\t    was == HOSTACCT_CLASS_NATIVE\)/\tif (0)/~vm: selftests/hostacct_events_test.sh
hist-bounds~kmod/lifecycle.c~s/div_u64\(decade \* r10\[i\], 100\)/div_u64(decade * r10[i], 10)/~vm: selftests/hostacct_events_test.sh
split-stateless~kmod/ledger.c~s/\tif \(e\) \{\n\t\tspin_lock\(&e->lock\);/\tif (0 \&\& e) {\n\t\tspin_lock(\&e->lock);/~vm: build/selftests/hostacct_counters_test -t split_monotonic_ratio_change
EOF
)

DRY=""
if [ "${1:-}" = --dry ]; then	# only check that every mutant applies
	DRY=1
	shift
fi
names=("$@")
mkdir -p "$OUT"

# The tracked files of the tree, copied as they are now (uncommitted
# changes included), then the mutation.
prepare() {
	local name=$1 file=$2 subst=$3 dir="$OUT/$1"

	rm -rf "$dir"
	mkdir -p "$dir"
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$dir" 2>/dev/null
	mkdir -p "$dir/build"
	cp -a build/ksrc "$dir/build/ksrc"
	cp "$dir/$file" "$dir/$file.orig"
	perl -0pi -e "$subst" "$dir/$file"
	if cmp -s "$dir/$file" "$dir/$file.orig"; then
		echo "mutant $name: the substitution changed nothing in $file" >&2
		return 1
	fi
	rm "$dir/$file.orig"
}

# Run one mutant; print "caught|survived|broken NAME (...)".
run_one() {
	local name=$1 file=$2 subst=$3 check=$4 dir="$OUT/$1" log="$OUT/$1.log" rc

	if ! prepare "$name" "$file" "$subst" >"$log" 2>&1; then
		echo "broken   $name: $(tail -n1 "$log")"
		return
	fi
	if [ -n "$DRY" ]; then
		echo "applies  $name: $(cd "$dir" && diff -u "$ROOT/$file" "$file" | grep -c '^[-+][^-+]') lines changed"
		return
	fi
	# a mutant that does not build proves nothing about the tests
	if ! make -s -C "$dir" KVER="$(scripts/kernels.sh "$KERNEL")" all >>"$log" 2>&1 ||
	   ! make -s -C "$dir/tools/hostacct" tests/unit >>"$log" 2>&1; then
		echo "broken   $name: it does not build ($(grep -m1 -E 'error' "$log" | cut -c1-100))"
		return
	fi
	if [ "$check" = unit ]; then
		"$dir/tools/hostacct/tests/unit" >>"$log" 2>&1
		rc=$?
	else
		# a guest limit only a hang reaches: the run's speed depends
		# on what else the machine does (two mutants run at a time)
		"$dir/tools/testing/vmtest.sh" --mode run -k "$KERNEL" -t 4800 \
			-a "cd \$HA_ROOT && export HOSTACCT_KO && ${check#vm: }" >>"$log" 2>&1
		rc=$?
	fi
	# caught: a test failed, or the kernel log showed the bug; failing
	# in any other way (a guest that did not boot) is not a catch
	if [ $rc -ne 0 ] && grep -qE '^not ok|kernel log shows trouble' "$log"; then
		echo "caught   $name by $check ($(grep -m1 -E '^not ok|kernel log shows trouble' "$log" | cut -c1-100))"
	elif [ $rc -ne 0 ]; then
		echo "broken   $name: $check failed without a failing test ($(tail -n1 "$log" | cut -c1-100))"
	else
		echo "survived $name: $check passed with the bug in $file"
	fi
}

started=$(date +%s)
running=0
ran=()
while IFS='~' read -r name file subst check; do
	[ -n "$name" ] || continue
	if [ ${#names[@]} -gt 0 ] && [[ " ${names[*]} " != *" $name "* ]]; then
		continue
	fi
	ran+=("$name")
	rm -f "$OUT/$name.result"
	run_one "$name" "$file" "$subst" "$check" >"$OUT/$name.result" &
	running=$((running + 1))
	if [ $running -ge 2 ]; then
		wait -n
		running=$((running - 1))
	fi
done <<<"$MUTANTS"
wait

caught=0 total=0
for name in "${ran[@]}"; do
	f="$OUT/$name.result"
	cat "$f"
	total=$((total + 1))
	grep -qE '^(caught|applies)' "$f" && caught=$((caught + 1))
done
echo "mutants: $caught of $total caught in $(( $(date +%s) - started ))s (logs in build/mutants/)"
[ "$caught" -eq "$total" ] && [ "$total" -gt 0 ]
