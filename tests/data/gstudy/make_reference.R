# Reference variance components for the audit G-study (fidelity.stats.mixed,
# fidelity.stats.site_gstudy). Run from the repository root:
#   Rscript tests/data/gstudy/make_reference.R
# Writes tests/data/gstudy/reference.csv: for every data set, the lme4 REML variance components
# (one row per term, then the residual) and the REML criterion, fitted with bobyqa at tight
# tolerances so that the optimiser's own error is far below 1e-6.
# Brennan's p x (r:t) data: y ~ 1 + (1|p) + (1|t) + (1|t:r) + (1|p:t).
# Audit data: every term whose factor has more than one level, interviews nested in
# site x informant x round and raters crossed with them; terms the data cannot identify (one
# level, one rating per level, or the same grouping as an earlier term) are left out, as
# fidelity.stats.gtheory.identify leaves them out.
suppressPackageStartupMessages(library(lme4))
dir <- "tests/data/gstudy"
ctrl <- lmerControl(optimizer = "bobyqa",
                    optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
                    check.conv.singular = "ignore")
components <- function(name, m) {
  vc <- as.data.frame(VarCorr(m))
  data.frame(dataset = name, term = vc$grp, variance = vc$vcov, reml_criterion = REMLcrit(m),
             mean = unname(fixef(m)[1]))
}
rows <- list()
b <- read.csv(file.path(dir, "brennan_synth4.csv"))
b[] <- lapply(b, function(v) if (is.numeric(v) && !identical(v, b$y)) factor(v) else v)
m <- lmer(y ~ 1 + (1 | p) + (1 | t) + (1 | t:r) + (1 | p:t), data = b, REML = TRUE,
          control = ctrl)
rows[["brennan"]] <- components("brennan_synth4", m)
for (f in sort(list.files(dir, pattern = "^audit_.*\\.csv$"))) {
  d <- read.csv(file.path(dir, f), colClasses = "character")
  d$score <- as.numeric(d$score)
  d$si <- interaction(d$site, d$informant, drop = TRUE)
  d$so <- interaction(d$site, d$round, drop = TRUE)
  d$iv <- interaction(d$site, d$informant, d$round, d$interview, drop = TRUE)
  terms <- c(site = "site", informant = "informant", `site:informant` = "si",
             round = "round", `site:round` = "so", interview = "iv", rater = "rater")
  # the terms the data identify: more than one level, not one rating per level, and not
  # grouping the ratings exactly as an earlier term does
  use <- character(0)
  for (k in names(terms)) {
    v <- factor(d[[terms[[k]]]])
    same <- any(sapply(use, function(u) {
      w <- factor(d[[u]])
      nlevels(w) == nlevels(v) && nlevels(interaction(w, v, drop = TRUE)) == nlevels(v)
    }))
    if (nlevels(v) > 1 && nlevels(v) < nrow(d) && !same) use[k] <- terms[[k]]
  }
  form <- as.formula(paste("score ~ 1 +", paste0("(1 | ", use, ")", collapse = " + ")))
  m <- lmer(form, data = d, REML = TRUE, control = ctrl)
  r <- components(sub("\\.csv$", "", f), m)
  r$term <- ifelse(r$term %in% use, names(use)[match(r$term, use)],
                   ifelse(r$term == "Residual", "residual", r$term))
  rows[[f]] <- r
}
out <- do.call(rbind, rows)
out$term[out$term == "Residual"] <- "residual"
header <- c(sprintf("# %s; lme4 %s; Matrix %s", R.version.string, packageVersion("lme4"),
                    packageVersion("Matrix")),
            "# made by tests/data/gstudy/make_reference.R from the CSV files beside it")
writeLines(header, file.path(dir, "reference.csv"))
suppressWarnings(write.table(format(out, digits = 15), file.path(dir, "reference.csv"),
                             sep = ",", row.names = FALSE, quote = FALSE, append = TRUE))
