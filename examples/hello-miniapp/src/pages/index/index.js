// The index page: greets the user and counts visits in localStorage.
// Comments and blank lines like these are stripped by build.mjs; string contents are not,
// even when they look like comments (see HELP_URL).

/* Where the visit counter lives. */
const STORAGE_KEY = "hello-miniapp:visits";
const GREETINGS = ["Hello", "Halo", "Selamat datang"];
const HELP_URL = "https://example.com/help/*faq*/";

function readVisits() {
  const stored = Number(window.localStorage.getItem(STORAGE_KEY));
  return Number.isFinite(stored) ? stored : 0; // a missing key reads as 0
}

function greet(visits) {
  const greeting = GREETINGS[visits % GREETINGS.length];
  document.getElementById("greeting").textContent = `${greeting}!`;
  document.getElementById("visits").textContent =
    visits === 1 ? "This is your first visit." : `Visit number ${visits}.`;
}

document.getElementById("help").href = HELP_URL;

let visits = readVisits() + 1;
window.localStorage.setItem(STORAGE_KEY, String(visits));
greet(visits);

document.getElementById("pay").addEventListener("click", () => {
  visits += 1;
  greet(visits);
});
