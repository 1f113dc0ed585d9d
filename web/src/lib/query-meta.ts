// Typed `meta` for queries and mutations: how a failure is shown (see app/provider.tsx).
declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: {
      /** The component shows the error itself; no notification. */
      inlineErrors?: boolean;
    };
    mutationMeta: {
      /** The form shows the error itself (field errors and an Alert); no notification. */
      inlineErrors?: boolean;
      /** Failure is expected and harmless (e.g. signing out of an expired session). */
      silent?: boolean;
    };
  }
}

export {};
