/**
 * `<BgProbeDiagnostics probe={probe} />`: a screen listing the probe's ring buffer, newest first, for a
 * debug menu or a hidden route. It reads the same `bgprobe.jsonl` the harness pulls.
 */

import { useCallback, useEffect, useState, type ReactElement } from 'react';
import { FlatList, Pressable, StyleSheet, Text, View } from 'react-native';

import type { Probe } from './probe';
import { diagnosticRows, type DiagnosticRow } from './rows';

export { diagnosticRows, type DiagnosticRow } from './rows';

export interface BgProbeDiagnosticsProps {
  readonly probe: Pick<Probe, 'events'>;
  readonly title?: string;
}

function Row({ row }: { readonly row: DiagnosticRow }): ReactElement {
  return (
    <View style={styles.row}>
      <Text style={styles.head}>{`${row.time}  ${row.event}  ${row.task}${row.run === '' ? '' : ` #${row.run}`}`}</Text>
      {row.detail === '' ? null : <Text style={styles.detail}>{row.detail}</Text>}
    </View>
  );
}

export function BgProbeDiagnostics({ probe, title = 'Background task probe' }: BgProbeDiagnosticsProps): ReactElement {
  const [rows, setRows] = useState<DiagnosticRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    probe.events().then(
      (events) => { setRows(diagnosticRows(events)); setError(null); },
      (err: unknown) => setError(String(err)),
    );
  }, [probe]);
  useEffect(reload, [reload]);
  return (
    <View style={styles.screen}>
      <Text style={styles.title}>{title}</Text>
      <Pressable onPress={reload} accessibilityRole="button" style={styles.button}>
        <Text>{`Refresh (${rows.length} events)`}</Text>
      </Pressable>
      {error === null ? null : <Text style={styles.error}>{error}</Text>}
      <FlatList data={rows} keyExtractor={(row) => row.key} renderItem={({ item }) => <Row row={item} />} />
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, padding: 12 },
  title: { fontSize: 18, fontWeight: '600', marginBottom: 8 },
  button: { paddingVertical: 8 },
  error: { color: '#b00020' },
  row: { paddingVertical: 6, borderBottomWidth: 1, borderBottomColor: '#ddd' },
  head: { fontFamily: 'monospace', fontSize: 12 },
  detail: { fontFamily: 'monospace', fontSize: 12, color: '#555' },
});
