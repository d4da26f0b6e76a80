/** The sellers' shoot app, served at /app. */
export function SellerApp() {
  return <main>Studioflow shoots</main>;
}
