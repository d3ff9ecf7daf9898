// Starts GOV.UK Frontend's JavaScript enhancements. Every page works without it.
import { initAll } from '/assets/govuk-frontend.min.js'
initAll()
