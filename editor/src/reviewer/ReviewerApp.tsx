/** The reviewers' console, served at /review. */
export function ReviewerApp() {
  return <main>Studioflow review</main>;
}
