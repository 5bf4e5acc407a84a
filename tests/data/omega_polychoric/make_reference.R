# Reference values for McDonald's omega and ordinal alpha (fidelity.stats.omega,
# fidelity.stats.polychoric). Run from the repository root:
#   Rscript tests/data/omega_polychoric/make_reference.R
# Writes tests/data/omega_polychoric/reference.csv in long form
# (dataset, statistic, i, j, value), for every CSV file beside this script:
#   psych_*  : psych with its defaults (what users of psych see):
#              omega.tot of psych::omega(x, nfactors = 1, fm = "minres" | "ml"), the loadings
#              of psych::fa(x, 1, fm = ...), psych::polychoric(x) rho and tau, and
#              psych::alpha(rho)$total$raw_alpha (ordinal alpha);
#   tight_*  : the same estimators solved to ~1e-10: minres by minimising the off-diagonal
#              residual sum of squares over the loadings (optim BFGS, reltol 1e-15, analytic
#              gradient); polychoric rho by optimize() on psych's own likelihood psych:::polyF
#              with tol = 1e-12 and global thresholds (each item's own marginal proportions);
#   lavaan_* : one-factor CFA (ML) on the pairwise correlation matrix: standardized loadings
#              and the model-based omega (sum lambda)^2 / ((sum lambda)^2 + sum theta).
suppressPackageStartupMessages({ library(psych); library(lavaan) })
dir <- "tests/data/omega_polychoric"
files <- sort(setdiff(list.files(dir, pattern = "\\.csv$"), "reference.csv"))
rows <- list()
add <- function(ds, stat, value, i = NA, j = NA) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = ds, statistic = stat, i = i, j = j,
                                          value = as.numeric(value))
}
add_vec <- function(ds, stat, v) for (i in seq_along(v)) add(ds, stat, v[[i]], i)
add_mat <- function(ds, stat, m) {
  for (i in seq_len(nrow(m))) for (j in seq_len(ncol(m))) add(ds, stat, m[i, j], i, j)
}
tight_minres <- function(r) {
  off <- lower.tri(r)
  f <- function(l) { e <- r - tcrossprod(l); sum(e[off]^2) }
  g <- function(l) { e <- r - tcrossprod(l); diag(e) <- 0; -2 * drop(e %*% l) }
  l0 <- fa(r, 1, fm = "minres")$loadings[, 1]
  o <- optim(l0, f, g, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
  o$par * sign(sum(o$par))
}
tight_polyc <- function(x, y, tx, ty, global) {
  tab <- unclass(table(factor(x, levels = seq_len(length(tx) + 1)),
                       factor(y, levels = seq_len(length(ty) + 1))))
  tot <- sum(tab)
  tab <- tab / tot
  if (!global) {
    tab <- tab[rowSums(tab) > 0, colSums(tab) > 0, drop = FALSE]
    tab[tab == 0] <- 0.5 / tot
    tx <- qnorm(cumsum(rowSums(tab))[-nrow(tab)])
    ty <- qnorm(cumsum(colSums(tab))[-ncol(tab)])
  }
  optimize(psych:::polyF, interval = c(-1, 1), rc = tx, cc = ty, tab, tol = 1e-12)$minimum
}
for (f in files) {
  ds <- sub("\\.csv$", "", f)
  x <- as.matrix(read.csv(file.path(dir, f)))
  r <- cor(x, use = "pairwise")
  for (fm in c("minres", "ml")) {
    om <- suppressWarnings(suppressMessages(omega(x, nfactors = 1, fm = fm, plot = FALSE)))
    add(ds, paste0("psych_omega_tot_", fm), om$omega.tot)
    fit <- suppressWarnings(suppressMessages(fa(x, 1, fm = fm)))
    add_vec(ds, paste0("psych_loading_", fm), fit$loadings[, 1])
  }
  lt <- tight_minres(r)
  add_vec(ds, "tight_loading_minres", lt)
  add(ds, "tight_omega_tot_minres", 1 - sum(1 - lt^2) / sum(r))
  model <- paste("f =~", paste(colnames(x), collapse = " + "))
  cf <- cfa(model, sample.cov = r, sample.nobs = nrow(x), std.lv = TRUE)
  st <- standardizedSolution(cf)
  lam <- st$est.std[st$op == "=~"]
  theta <- st$est.std[st$op == "~~" & st$lhs == st$rhs & st$lhs != "f"]
  add_vec(ds, "lavaan_loading_ml", lam)
  add(ds, "lavaan_omega_model_ml", sum(lam)^2 / (sum(lam)^2 + sum(theta)))
  # psych 2.2.9 estimates thresholds pair by pair when the items' highest observed categories
  # differ, and that branch fails ("Something is wrong in polycor"): recorded as psych_failed
  pc <- tryCatch(suppressWarnings(suppressMessages(polychoric(x))), error = function(e) NULL)
  add(ds, "psych_polychoric_failed", as.numeric(is.null(pc)))
  xs <- x - min(x, na.rm = TRUE) + 1
  nv <- max(xs, na.rm = TRUE)
  tau <- t(matrix(apply(xs, 2, function(v) {
    p <- tabulate(v[!is.na(v)], nbins = nv); qnorm(cumsum(p / sum(p))[-nv]) }), ncol = ncol(xs)))
  add_mat(ds, "tight_polychoric_tau", tau)
  if (!is.null(pc)) {
    add_mat(ds, "psych_polychoric_rho", pc$rho)
    add_mat(ds, "psych_polychoric_tau", pc$tau)
    add(ds, "psych_ordinal_alpha", suppressWarnings(alpha(pc$rho))$total$raw_alpha)
  }
  k <- ncol(xs)
  rho <- diag(k)
  for (i in 2:k) for (j in 1:(i - 1)) {
    rho[i, j] <- rho[j, i] <- tight_polyc(xs[, i], xs[, j], tau[i, ], tau[j, ], TRUE)
  }
  add_mat(ds, "tight_polychoric_rho", rho)
  add(ds, "tight_ordinal_alpha", k / (k - 1) * (1 - k / sum(rho)))
}
out <- do.call(rbind, rows)
header <- c(sprintf("# %s; psych %s; lavaan %s; GPArotation %s; mnormt %s", R.version.string,
                    packageVersion("psych"), packageVersion("lavaan"),
                    packageVersion("GPArotation"), packageVersion("mnormt")),
            "# made by tests/data/omega_polychoric/make_reference.R from the CSV files beside it")
writeLines(header, file.path(dir, "reference.csv"))
out$value <- sprintf("%.17g", out$value)
suppressWarnings(write.table(out, file.path(dir, "reference.csv"), sep = ",",
            row.names = FALSE, quote = FALSE, append = TRUE, na = ""))
