// Progressive enhancement hook: CSS may style for `js-enabled`; nothing depends on it.
document.documentElement.classList.replace("no-js", "js-enabled");
