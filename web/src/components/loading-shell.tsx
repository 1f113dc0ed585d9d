/**
 * The loading shell of web/index.html (its styles live there, inline, so they apply before any
 * stylesheet loads), rendered by React while the first page's lazily loaded code arrives, so the
 * screen goes from shell to page without a blank frame in between.
 */
export function LoadingShell() {
  return (
    <div className="rb-shell" role="status" aria-label="Loading Rollbook">
      <div className="rb-shell-brand">
        <svg viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="7" fill="#228be6" />
          <path d="M9 16.5l4.5 4.5L23 11.5" fill="none" stroke="#fff" strokeWidth="3.2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        Rollbook
      </div>
      <div className="rb-shell-bar" />
    </div>
  );
}
