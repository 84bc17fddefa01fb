/**
 * Build-time declarations of the few react-native exports diagnostics.tsx uses, with the props it
 * passes, as documented for React Native 0.74+ (View, Text, Pressable, FlatList, StyleSheet). Installing
 * react-native for its types would pull its whole toolchain into `npm ci`; this file is not shipped, and
 * an app compiles `dist/diagnostics.d.ts` against its real react-native types.
 */
declare module 'react-native' {
  import type { ComponentType, ReactElement, ReactNode } from 'react';

  type Style = Readonly<Record<string, string | number>>;
  export const StyleSheet: { create<T extends Record<string, Style>>(styles: T): T };
  export const View: ComponentType<{ style?: Style; children?: ReactNode }>;
  export const Text: ComponentType<{ style?: Style; children?: ReactNode }>;
  export const Pressable: ComponentType<{
    onPress?: () => void;
    accessibilityRole?: 'button';
    style?: Style;
    children?: ReactNode;
  }>;
  export function FlatList<ItemT>(props: {
    data: readonly ItemT[] | null | undefined;
    keyExtractor?: (item: ItemT, index: number) => string;
    renderItem: (info: { item: ItemT; index: number }) => ReactElement | null;
  }): ReactElement | null;
}
